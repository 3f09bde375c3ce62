class ReceiptJob
  include Sidekiq::Job

  def perform(order_id)
    OrderMailer.receipt(Order.find(order_id)).deliver_now
  end
end
