package com.acme

import io.kotest.core.spec.style.StringSpec

class LedgerTest : StringSpec({
    "balances add up" { }
})
