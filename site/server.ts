// The shop: the application every tier of the stack runs.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { hostname } from 'node:os';

const port = Number(process.env.PORT ?? 8080);
const shopName = process.env.SHOP_NAME ?? 'devenv shop';
const startedAt = new Date();

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

const routes: Record<string, Handler> = {
  '/': (_request, response) =>
    send(
      response,
      200,
      'text/html',
      `<!doctype html><html><head><title>${escapeHtml(shopName)}</title></head>` +
        `<body><h1>${escapeHtml(shopName)}</h1><p>Served by ${escapeHtml(hostname())}.</p></body></html>\n`,
    ),
  '/healthz': (_request, response) =>
    send(response, 200, 'application/json', JSON.stringify({ ok: true, since: startedAt.toISOString() }) + '\n'),
};

const server = createServer((request, response) => {
  const path = new URL(request.url ?? '/', 'http://site').pathname;
  const handler = routes[path];
  if (handler) handler(request, response);
  else send(response, 404, 'text/plain', 'not found\n');
});

server.listen(port, () => console.log(`site listening on :${port} as "${shopName}"`));

// Finish the requests in flight before leaving, so replacing a container drops nothing.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
