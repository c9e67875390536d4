// The ops service's pages look alike: one head for both, each page's own style
// rules after the shared ones (a later rule of the same selector adds to it).

/** From the doctype to `</head>`: `title` is the page's own constant text, not data. */
export function pageHead(title: string, pageStyle: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
  header { background: #1d3557; color: white; padding: 12px 24px; }
  header h1 { margin: 0; font-size: 20px; }
${pageStyle}
</style>
</head>`;
}
