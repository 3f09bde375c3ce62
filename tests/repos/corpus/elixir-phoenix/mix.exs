defmodule Chat.MixProject do
  use Mix.Project

  def project do
    [app: :chat, version: "0.1.0", elixir: "~> 1.16", deps: deps()]
  end

  defp deps do
    [
      {:phoenix, "~> 1.7.12"},
      {:phoenix_live_view, "~> 0.20.14"},
      {:ecto_sql, "~> 3.11"},
      {:postgrex, ">= 0.0.0"},
      {:swoosh, "~> 1.16"},
      {:credo, "~> 1.7", only: [:dev, :test], runtime: false}
    ]
  end
end
