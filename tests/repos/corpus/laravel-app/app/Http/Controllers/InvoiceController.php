<?php

namespace App\Http\Controllers;

use App\Models\Invoice;
use Illuminate\Http\Request;

class InvoiceController extends Controller
{
    public function index(Request $request)
    {
        return Invoice::query()->whereBelongsTo($request->user())->paginate();
    }

    public function show(Invoice $invoice)
    {
        $this->authorize('view', $invoice);

        return $invoice->load('lines');
    }
}
