// A worker thread of the parallel copy: its own connections to production (inside
// the rebuild's exported snapshot, so every worker reads the same moment) and to
// the new princess database, its own transforms under the same key (pseudonyms
// are a pure function of key and value, so every worker makes the same ones).
// It copies the parts the pool sends it, one at a time.
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { ContactCheck, ContactFilter, type ContactFinds } from './contact-filter.ts';
import { copyPart } from './table-copy.ts';
import { createTransforms } from './scrub-transforms.ts';
import type { WorkerSetup, ToWorker, FromWorker } from './parallel-copy.ts';

const setup = workerData as WorkerSetup;
const port = parentPort!;
const send = (message: FromWorker) => port.postMessage(message);

const transforms = createTransforms(Buffer.from(setup.key), new Set(setup.knownNameTokens));
const mustChange = new Set(setup.mustChange);
const textColumns = new Set(setup.textColumns);
const contacts = new ContactFilter(setup.contacts);
let contactsReady = false;
/** The filter, once the main thread has filled it (this thread waits for it at the first free text). */
const filled = (): ContactFilter => {
  if (!contactsReady && !contacts.waitReady())
    throw new Error(
      "production's emails, phone numbers and name words could not be read for the leak check of free text",
    );
  contactsReady = true;
  return contacts;
};
const prod = new pg.Client(setup.prod);
const next = new pg.Client(setup.next);
// A connection lost between parts would be an unhandled 'error' event; the next part's query reports it.
for (const client of [prod, next]) client.on('error', () => {});

async function start(): Promise<void> {
  await Promise.all([prod.connect(), next.connect()]);
  await prod.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  await prod.query(`SET TRANSACTION SNAPSHOT '${setup.snapshot.replaceAll("'", "''")}'`);
  // Rows the worker loads are only seen after the switch; losing them to a crash loses nothing.
  await next.query('SET synchronous_commit = off');
}

const started = start();
// A failed connection is reported with the first part that needs it.
started.catch(() => {});
port.on('message', (message: ToWorker) => {
  if (message.type === 'stop') {
    void Promise.allSettled([prod.end(), next.end()]).then(() => port.close());
    return;
  }
  const { id, part } = message;
  let reported = 0;
  // Each free-text column's values, as they leave, checked against every production email, phone and name word.
  const checks = new Map(
    part.columns
      .filter((column) => textColumns.has(`${part.table}.${column}`))
      .map((column) => [column, new ContactCheck(filled)]),
  );
  const inspect = Object.fromEntries(
    [...checks].map(([column, check]) => [column, (value: string) => check.inspect(value)]),
  );
  started
    .then(() =>
      copyPart(
        prod,
        next,
        part,
        setup.rules,
        transforms,
        mustChange,
        (rows) => {
          send({ type: 'progress', id, rows: rows - reported });
          reported = rows;
        },
        inspect,
      ),
    )
    .then(
      (copied) => {
        const found: Record<string, ContactFinds> = Object.fromEntries(
          [...checks].map(([column, check]) => [column, check.finds()]),
        );
        send({
          type: 'done',
          id,
          rows: copied.rows,
          bytes: copied.bytes,
          unchanged: copied.unchanged,
          contacts: found,
          progressRows: copied.rows - reported,
        });
      },
      (error: Error) => send({ type: 'failed', id, message: error.message }),
    );
});
