class Order < ApplicationRecord
  belongs_to :user
  validates :total_cents, numericality: { greater_than: 0 }
end
