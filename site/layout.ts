// The frame every page shares: title, navigation, a little CSS.
import { html, toText, type Html } from './html.ts';

const style = html`<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  nav a { margin-right: 1rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #ddd; }
  td.price { text-align: right; font-variant-numeric: tabular-nums; }
  .banner { background: #fff3c4; padding: .5rem 1rem; border-radius: .3rem; }
  ul.team { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 1.5rem; }
  ul.team img { display: block; border-radius: .3rem; }
  footer { margin-top: 2rem; color: #777; font-size: .85rem; }
</style>`;

export interface PageFrame {
  shopName: string;
  title: string;
  body: Html;
  /** host name of the replica that answered, useful behind a load balancer */
  servedBy: string;
}

export function layout(page: PageFrame): string {
  const title = page.title === page.shopName ? page.shopName : `${page.title} - ${page.shopName}`;
  return toText(html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title>${style}</head>
<body>
<header><h1>${page.shopName}</h1><nav><a href="/">Items</a><a href="/team">Team</a></nav></header>
<main>${page.body}</main>
<footer>Served by ${page.servedBy}.</footer>
</body>
</html>
`);
}
