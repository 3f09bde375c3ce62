require "rails_helper"

RSpec.describe Order do
  it { is_expected.to validate_numericality_of(:total_cents) }
end
