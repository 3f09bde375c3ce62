Rails.application.routes.draw do
  resources :orders
end
