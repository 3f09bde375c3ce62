import Config

config :chat, Chat.Repo, database: "chat_dev"
