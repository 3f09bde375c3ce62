defmodule ChatWeb.Router do
  use ChatWeb, :router

  pipeline :browser do
    plug :accepts, ["html"]
  end

  scope "/", ChatWeb do
    pipe_through :browser
    live "/rooms/:id", RoomLive
  end
end
