// node-quickbooks, unchanged, driven against the QBO emulator: one scenario, one JSON line per
// step on stdout for tests/contract/test_contract_node_quickbooks.py to assert on:
// {"step": ..., <what the step saw>} or {"step": ..., "fault": ...} (JSON leaves out what is
// undefined). A step that fails still prints its line, so one disagreement hides no other.
//
//   node drive.js --base-url http://127.0.0.1:PORT --realm R --token ACCESS \
//     --refresh-token REFRESH --client-id ID --client-secret SECRET
//
// The library is pointed at the emulator only through its own settings: the static
// V3_ENDPOINT_BASE_URL (its useSandbox flag keeps the "sandbox-" host, so the URL is used as it
// is) and TOKEN_URL for the refresh. It is constructed for OAuth 2.0 by its options object; its
// setOauthVersion('2.0') is not called because that fetches Intuit's own discovery document.
'use strict';

const { parseArgs } = require('node:util');
const { Readable } = require('node:stream');
const QuickBooks = require('node-quickbooks');

const { values: args } = parseArgs({
  options: {
    'base-url': { type: 'string' },
    realm: { type: 'string' },
    token: { type: 'string' },
    'refresh-token': { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
  },
});

QuickBooks.V3_ENDPOINT_BASE_URL = `${args['base-url']}/v3/company/`;
QuickBooks.TOKEN_URL = `${args['base-url']}/oauth2/v1/tokens/bearer`;

const qbo = new QuickBooks({
  consumerKey: args['client-id'],
  consumerSecret: args['client-secret'],
  token: args.token,
  realmId: args.realm,
  useSandbox: true,
  minorversion: 75,
  oauthversion: '2.0',
  refreshToken: args['refresh-token'],
});

// The library's callback methods as promises. A fault comes back two ways: in a 200 body (the
// library passes the body as the error) or as an HTTP error (axios' error, whose response
// carries QBO's body); both become {status, Fault}.
function call(method, ...params) {
  return new Promise((resolve, reject) => {
    qbo[method](...params, (err, data, res) => {
      if (!err) return resolve(data);
      const body = (err.response && err.response.data) || (res && res.data) || err;
      const status = (err.response || res || {}).status;
      reject({ status, Fault: body.Fault, message: err.message });
    });
  });
}

function fault(error) {
  const first = (error.Fault && error.Fault.Error && error.Fault.Error[0]) || {};
  return {
    status: error.status,
    type: error.Fault && error.Fault.type,
    code: first.code,
    element: first.element,
    message: first.Message || error.message,
  };
}

const ref = (entity) => ({ value: entity.Id });
const rows = (response, entity) => response.QueryResponse[entity] || [];

async function step(name, body) {
  let line;
  try {
    line = { step: name, ...(await body()) };
  } catch (error) {
    line = { step: name, fault: fault(error) };
  }
  process.stdout.write(JSON.stringify(line) + '\n');
}

// What later steps build on; a step whose inputs failed reports its own fault.
const made = {};

function salesLine(amount, qty = 1) {
  return {
    Amount: amount * qty,
    DetailType: 'SalesItemLineDetail',
    SalesItemLineDetail: { ItemRef: ref(made.services), Qty: qty, UnitPrice: amount },
  };
}

function expenseLine(account, amount) {
  return {
    Amount: amount,
    DetailType: 'AccountBasedExpenseLineDetail',
    AccountBasedExpenseLineDetail: { AccountRef: ref(account) },
  };
}

function journalLine(posting, account, amount) {
  return {
    Amount: amount,
    DetailType: 'JournalEntryLineDetail',
    JournalEntryLineDetail: { PostingType: posting, AccountRef: ref(account) },
  };
}

async function account(name) {
  return rows(await call('findAccounts', { Name: name }), 'Account')[0];
}

async function scenario() {
  const started = new Date(Date.now() - 1000);

  await step('refresh', async () => {
    const before = qbo.token;
    const response = await call('refreshAccessToken');
    return { changed: qbo.token !== before, token_type: response.token_type };
  });

  await step('customer.create', async () => {
    made.customer = await call('createCustomer', { DisplayName: 'Node Client' });
    return { id: made.customer.Id, sync_token: made.customer.SyncToken };
  });
  await step('customer.read', async () => {
    const read = await call('getCustomer', made.customer.Id);
    return { id: read.Id, display_name: read.DisplayName };
  });
  await step('customer.update', async () => {
    // The library makes every update sparse unless told otherwise.
    made.customer = await call('updateCustomer', {
      Id: made.customer.Id,
      SyncToken: made.customer.SyncToken,
      CompanyName: 'Node Client Ltd',
    });
    const c = made.customer;
    return { sync_token: c.SyncToken, display_name: c.DisplayName, company_name: c.CompanyName };
  });
  await step('customer.query', async () => {
    const found = await call('findCustomers', { DisplayName: 'Node Client' });
    return { ids: rows(found, 'Customer').map((c) => c.Id) };
  });
  await step('customer.count', async () => {
    // {count: true} is the library's way to ask "select count(*) from customer".
    const counted = await call('findCustomers', { count: true });
    return { total: counted.QueryResponse.totalCount };
  });
  await step('customer.stale', async () => {
    await call('updateCustomer', { Id: made.customer.Id, SyncToken: '0', Notes: 'stale' });
    return { accepted: true };
  });

  await step('invoice.create', async () => {
    made.services = rows(await call('findItems', { Name: 'Services' }), 'Item')[0];
    made.invoice = await call('createInvoice', {
      CustomerRef: ref(made.customer),
      Line: [salesLine(75, 2)],
    });
    const i = made.invoice;
    return { id: i.Id, total: i.TotalAmt, balance: i.Balance };
  });
  await step('invoice.read', async () => {
    const read = await call('getInvoice', made.invoice.Id);
    return { id: read.Id, customer: read.CustomerRef.value, total: read.TotalAmt };
  });
  await step('invoice.update', async () => {
    made.invoice = await call('updateInvoice', {
      Id: made.invoice.Id,
      SyncToken: made.invoice.SyncToken,
      PrivateNote: 'from node',
    });
    const i = made.invoice;
    const lines = i.Line.length;
    return { sync_token: i.SyncToken, note: i.PrivateNote, total: i.TotalAmt, lines };
  });
  await step('invoice.query', async () => {
    const found = await call('findInvoices', { CustomerRef: made.customer.Id });
    return { ids: rows(found, 'Invoice').map((i) => i.Id) };
  });

  await step('payment.create', async () => {
    const payment = await call('createPayment', {
      CustomerRef: ref(made.customer),
      TotalAmt: 150,
      Line: [{ Amount: 150, LinkedTxn: [{ TxnId: made.invoice.Id, TxnType: 'Invoice' }] }],
    });
    const invoice = await call('getInvoice', made.invoice.Id);
    return { id: payment.Id, total: payment.TotalAmt, invoice_balance: invoice.Balance };
  });

  await step('invoice.void', async () => {
    // The library voids an invoice with ?operation=void and the whole invoice as its body.
    const spare = await call('createInvoice', {
      CustomerRef: ref(made.customer),
      Line: [salesLine(10)],
    });
    await call('voidInvoice', spare);
    const read = await call('getInvoice', spare.Id);
    return { total: read.TotalAmt, balance: read.Balance, note: read.PrivateNote };
  });

  await step('batch', async () => {
    const response = await call('batch', [
      { bId: 'new', operation: 'create', Customer: { DisplayName: 'Node Batch Client' } },
      { bId: 'list', Query: "select * from Customer where DisplayName = 'Node Client'" },
      { bId: 'stale', operation: 'update', Customer: { Id: made.customer.Id, SyncToken: '0' } },
    ]);
    return {
      items: response.BatchItemResponse.map((item) => ({
        bId: item.bId,
        customer: item.Customer && item.Customer.DisplayName,
        queried: item.QueryResponse && rows(item, 'Customer').length,
        fault: item.Fault && item.Fault.Error[0].code,
      })),
    };
  });

  await step('cdc', async () => {
    const response = await call('changeDataCapture', ['Customer', 'Invoice', 'Payment'], started);
    const counts = {};
    for (const part of response.CDCResponse[0].QueryResponse) {
      for (const [name, value] of Object.entries(part)) {
        if (Array.isArray(value)) counts[name] = value.length;
      }
    }
    return { counts };
  });

  await step('class', async () => {
    const klass = await call('createClass', { Name: 'Node Projects' });
    const found = await call('findClasses', { Name: 'Node Projects' });
    return { id: klass.Id, found: rows(found, 'Class').map((c) => c.Id) };
  });
  await step('department', async () => {
    const created = await call('createDepartment', { Name: 'Node Office' });
    const updated = await call('updateDepartment', {
      Id: created.Id,
      SyncToken: created.SyncToken,
      Name: 'Node Head Office',
    });
    const read = await call('getDepartment', created.Id);
    return { id: created.Id, sync_token: updated.SyncToken, name: read.Name };
  });

  await step('estimate', async () => {
    const estimate = await call('createEstimate', {
      CustomerRef: ref(made.customer),
      Line: [salesLine(300)],
    });
    const found = await call('findEstimates', { CustomerRef: made.customer.Id });
    return {
      id: estimate.Id,
      total: estimate.TotalAmt,
      status: estimate.TxnStatus,
      found: rows(found, 'Estimate').map((e) => e.Id),
    };
  });
  await step('sales_receipt', async () => {
    const receipt = await call('createSalesReceipt', {
      CustomerRef: ref(made.customer),
      Line: [salesLine(45)],
    });
    return { id: receipt.Id, total: receipt.TotalAmt, balance: receipt.Balance };
  });
  await step('refund_receipt', async () => {
    made.checking = await account('Checking');
    const refund = await call('createRefundReceipt', {
      CustomerRef: ref(made.customer),
      DepositToAccountRef: ref(made.checking),
      Line: [salesLine(20)],
    });
    await call('deleteRefundReceipt', refund.Id);
    const left = await call('findRefundReceipts');
    return {
      id: refund.Id,
      total: refund.TotalAmt,
      balance: refund.Balance,
      account: refund.DepositToAccountRef.value === made.checking.Id,
      left: rows(left, 'RefundReceipt').length,
    };
  });
  await step('time_activity', async () => {
    const worker = await call('createEmployee', { GivenName: 'Emily', FamilyName: 'Platt' });
    const activity = await call('createTimeActivity', {
      NameOf: 'Employee',
      EmployeeRef: ref(worker),
      CustomerRef: ref(made.customer),
      TxnDate: '2026-11-02',
      Hours: 2,
      Minutes: 15,
      BillableStatus: 'Billable',
      HourlyRate: 90,
    });
    return {
      id: activity.Id,
      hours: activity.Hours,
      minutes: activity.Minutes,
      employee: activity.EmployeeRef.name,
    };
  });

  await step('bill', async () => {
    made.vendor = await call('createVendor', { DisplayName: 'Node Supplies' });
    made.expenses = await call('createAccount', { Name: 'Node Expenses', AccountType: 'Expense' });
    made.bill = await call('createBill', {
      VendorRef: ref(made.vendor),
      Line: [expenseLine(made.expenses, 120)],
    });
    return { id: made.bill.Id, total: made.bill.TotalAmt, balance: made.bill.Balance };
  });
  await step('bill_payment', async () => {
    const payment = await call('createBillPayment', {
      VendorRef: ref(made.vendor),
      PayType: 'Check',
      TotalAmt: 120,
      CheckPayment: { BankAccountRef: ref(made.checking) },
      Line: [{ Amount: 120, LinkedTxn: [{ TxnId: made.bill.Id, TxnType: 'Bill' }] }],
    });
    const bill = await call('getBill', made.bill.Id);
    return { id: payment.Id, total: payment.TotalAmt, bill_balance: bill.Balance };
  });
  await step('purchase', async () => {
    const purchase = await call('createPurchase', {
      PaymentType: 'Cash',
      AccountRef: ref(made.checking),
      EntityRef: { value: made.vendor.Id, type: 'Vendor' },
      Line: [expenseLine(made.expenses, 35.5)],
    });
    const found = await call('findPurchases', { PaymentType: 'Cash' });
    return {
      id: purchase.Id,
      total: purchase.TotalAmt,
      found: rows(found, 'Purchase').map((p) => p.Id),
    };
  });
  await step('purchase_order', async () => {
    const income = rows(await call('findAccounts', { AccountType: 'Income' }), 'Account')[0];
    const item = await call('createItem', {
      Name: 'Node Parts',
      Type: 'NonInventory',
      IncomeAccountRef: ref(income),
      ExpenseAccountRef: ref(made.expenses),
    });
    const order = await call('createPurchaseOrder', {
      VendorRef: ref(made.vendor),
      Line: [
        {
          Amount: 25,
          DetailType: 'ItemBasedExpenseLineDetail',
          ItemBasedExpenseLineDetail: { ItemRef: ref(item), Qty: 1, UnitPrice: 25 },
        },
      ],
    });
    return { id: order.Id, total: order.TotalAmt, status: order.POStatus };
  });

  await step('deposit', async () => {
    made.savings = await call('createAccount', {
      Name: 'Node Savings',
      AccountType: 'Bank',
      AccountSubType: 'Savings',
    });
    const deposit = await call('createDeposit', {
      DepositToAccountRef: ref(made.checking),
      Line: [
        {
          Amount: 20,
          DetailType: 'DepositLineDetail',
          DepositLineDetail: { AccountRef: ref(made.savings) },
        },
      ],
    });
    return { id: deposit.Id, total: deposit.TotalAmt };
  });
  await step('transfer', async () => {
    const transfer = await call('createTransfer', {
      Amount: 100,
      FromAccountRef: ref(made.checking),
      ToAccountRef: ref(made.savings),
    });
    const updated = await call('updateTransfer', {
      Id: transfer.Id,
      SyncToken: transfer.SyncToken,
      Amount: 101,
    });
    const savings = await call('getAccount', made.savings.Id);
    return { id: transfer.Id, amount: updated.Amount, savings_balance: savings.CurrentBalance };
  });
  await step('journal_entry', async () => {
    const equity = await account('Opening Balance Equity');
    const entry = await call('createJournalEntry', {
      DocNumber: 'JE-NODE',
      Line: [journalLine('Debit', made.checking, 250), journalLine('Credit', equity, 250)],
    });
    return { id: entry.Id, total: entry.TotalAmt, doc_number: entry.DocNumber };
  });
  await step('journal_entry.unbalanced', async () => {
    const equity = await account('Opening Balance Equity');
    await call('createJournalEntry', {
      Line: [journalLine('Debit', made.checking, 10), journalLine('Credit', equity, 9)],
    });
    return { accepted: true };
  });

  // node-quickbooks cannot create a company currency (it has no createCompanyCurrency): the
  // test makes EUR before this runs, and the library reads it.
  await step('company_currency', async () => {
    const found = rows(await call('findCompanyCurrencies'), 'CompanyCurrency');
    const read = await call('getCompanyCurrency', found[0].Id);
    return { codes: found.map((c) => c.Code), name: read.Name };
  });
  await step('exchange_rate', async () => {
    // The library sends an exchange rate without Id or SyncToken (its update skips that check
    // for exchangerate alone), as Intuit's rate-by-currency-and-day update.
    const set = await call('updateExchangeRate', {
      SourceCurrencyCode: 'EUR',
      Rate: 1.25,
      AsOfDate: '2026-01-15',
    });
    const day = { sourcecurrencycode: 'EUR', asofdate: '2026-01-15' };
    const read = (await call('getExchangeRate', day)).ExchangeRate;
    // The library unwraps by its lower-case entity name ('Exchangerate'), so both answers come
    // back whole: {ExchangeRate: {...}, time}.
    return { set: set.ExchangeRate.Rate, rate: read.Rate, target: read.TargetCurrencyCode };
  });

  await step('attachable.upload', async () => {
    const attachable = await call(
      'upload',
      'hours.txt',
      'text/plain',
      Readable.from([Buffer.from('2.25 hours of bookkeeping\n')]),
      'Invoice',
      made.invoice.Id,
    );
    const linked = attachable.AttachableRef[0].EntityRef;
    const found = await call('findAttachables');
    return {
      id: attachable.Id,
      file_name: attachable.FileName,
      linked: [linked.type, linked.value],
      size: attachable.Size,
      found: rows(found, 'Attachable').map((a) => a.Id),
    };
  });
}

scenario().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exitCode = 1;
});
