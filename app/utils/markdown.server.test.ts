import { expect, test } from 'vitest';
import { renderMarkdown } from './markdown.server.ts';

test('ordinary markdown renders: headings, emphasis, lists, code, quotes, tables and links', () => {
  const html = renderMarkdown(
    [
      '# Tiny HTTP server',
      '',
      'A **fast** and *small* server with `zero` deps. ~~Slow~~.',
      '',
      '- one',
      '- two',
      '',
      '3. three',
      '',
      '> quoted',
      '',
      '```',
      'const x = 1 < 2;',
      '```',
      '',
      '| a | b |',
      '|---|---|',
      '| 1 | 2 |',
      '',
      '[Docs](https://docs.example/start "Start here") and <https://example.com> and [mail](mailto:ada@example.test)',
    ].join('\n'),
  );
  // The page's own h1 is the project name, so the maker's top heading becomes an h2.
  expect(html).toContain('<h2>Tiny HTTP server</h2>');
  expect(html).toContain('<strong>fast</strong>');
  expect(html).toContain('<em>small</em>');
  expect(html).toContain('<code>zero</code>');
  expect(html).toContain('<del>Slow</del>');
  expect(html).toContain('<li>one</li>');
  expect(html).toContain('<ol start="3">');
  expect(html).toContain('<blockquote>');
  expect(html).toContain('const x = 1 &lt; 2;');
  expect(html).toContain('<td>1</td>');
  expect(html).toContain('<a href="https://docs.example/start" title="Start here" rel="nofollow ugc noopener noreferrer">Docs</a>');
  expect(html).toContain('<a href="https://example.com" rel="nofollow ugc noopener noreferrer">https://example.com</a>');
  expect(html).toContain('<a href="mailto:ada@example.test" rel="nofollow ugc noopener noreferrer">mail</a>');
});

// Payloads from the OWASP XSS filter evasion cheat sheet and HTML5 Security Cheatsheet, in markdown and raw HTML forms.
const XSS_CORPUS = [
  '<script>alert(1)</script>',
  '<SCRIPT SRC=https://evil.example/xss.js></SCRIPT>',
  '<scr<script>ipt>alert(1)</scr</script>ipt>',
  '<img src=x onerror=alert(1)>',
  '<IMG SRC="javascript:alert(1);">',
  '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
  '<svg onload=alert(1)>',
  '<svg><script>alert(1)</script></svg>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<body onload=alert(1)>',
  '<iframe src="https://evil.example"></iframe>',
  '<iframe srcdoc="<script>alert(1)</script>">',
  '<object data="javascript:alert(1)"></object>',
  '<embed src="javascript:alert(1)">',
  '<a href="javascript:alert(1)">click</a>',
  '<a href="JaVaScRiPt:alert(1)">click</a>',
  '<a href="&#106;avascript:alert(1)">click</a>',
  '<a href="jav&#x09;ascript:alert(1)">click</a>',
  '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
  '<a href="vbscript:msgbox(1)">click</a>',
  '<div style="background:url(javascript:alert(1))">x</div>',
  '<p onclick="alert(1)">para</p>',
  '<details open ontoggle=alert(1)>',
  '<form action="javascript:alert(1)"><button>go</button></form>',
  '<input autofocus onfocus=alert(1)>',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  '<base href="https://evil.example/">',
  '<link rel=stylesheet href="https://evil.example/x.css">',
  '<style>@import "https://evil.example/x.css";</style>',
  '<template><script>alert(1)</script></template>',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  '<!--<img src=x onerror=alert(1)>-->',
  '[click](javascript:alert(1))',
  '[click](JAVASCRIPT:alert(1))',
  '[click](javascript&#58;alert(1))',
  '[click](  javascript:alert(1)  )',
  '[click](data:text/html,<script>alert(1)</script>)',
  '[click](vbscript:msgbox(1))',
  '[click](//evil.example/path)',
  '[click](<javascript:alert(1)>)',
  '![img](javascript:alert(1))',
  '![img](data:image/png;base64,iVBORw0KGgo=)',
  '![x" onerror="alert(1)](https://example.com/a.png)',
  '[a](https://example.com "title\\" onmouseover=\\"alert(1)")',
  '<javascript:alert(1)>',
  '[ref]\n\n[ref]: javascript:alert(1)',
  '`<script>alert(1)</script>`',
  '```html\n<script>alert(1)</script>\n```',
  '**<img src=x onerror=alert(1)>**',
  '<a href="https://example.com" onmouseover="alert(1)">ok</a>',
  '<a href="https://example.com" target="_blank">tab</a>',
];

/**
 * The dangerous things, as a browser would see them in the HTML we produce. sanitize-html writes
 * every attribute as name="value" with quotes inside values escaped, so a tag reads as a name
 * followed by such pairs; anything else inside a tag counts as a danger too.
 */
function dangers(html: string): string[] {
  const found: string[] = [];
  const allowedTags = new Set(['p', 'br', 'hr', 'h2', 'h3', 'h4', 'h5', 'h6', 'strong', 'em', 'del', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td']);
  const allowedAttributes = new Set(['href', 'title', 'rel', 'start', 'align']);
  for (const [whole, name, attributes] of html.matchAll(/<\/?([^\s>/]+)([^>]*)>/g)) {
    if (!allowedTags.has((name as string).toLowerCase())) found.push(`tag ${whole}`);
    const leftover = (attributes as string).replace(/\s([a-z-]+)="([^"]*)"/g, (_pair, attribute: string, value: string) => {
      if (!allowedAttributes.has(attribute)) found.push(`attribute ${attribute} in ${whole}`);
      if (attribute === 'href') {
        const decoded = value.replace(/&#x?[0-9a-f]+;?/gi, '').replace(/&amp;/g, '&').replace(/\s/g, '').toLowerCase();
        if (!/^(https?:\/\/[^/]|mailto:)/.test(decoded)) found.push(`href ${value}`);
      }
      return '';
    });
    if (leftover.trim() !== '' && leftover.trim() !== '/') found.push(`unparsed ${leftover} in ${whole}`);
  }
  if (/<!--/.test(html)) found.push('comment');
  return found;
}

test('an XSS corpus renders without scripts, event handlers, javascript:/data: URLs, frames or raw HTML', () => {
  for (const payload of XSS_CORPUS) {
    const html = renderMarkdown(payload);
    expect(dangers(html), `${payload}\n→ ${html}`).toEqual([]);
    // Text may mention anything (raw HTML is shown as text); only the markup itself must be clean.
    const markup = (html.match(/<[^>]*>/g) ?? []).join('').toLowerCase();
    expect(markup, payload).not.toMatch(/<script|<iframe|<img|<svg|<math|<object|<embed|<style|<form|<input|<meta|<base|<link|javascript:|vbscript:|data:/);
  }
});

test('raw HTML is shown as text, not interpreted', () => {
  expect(renderMarkdown('<b>bold?</b> and <marquee>hi</marquee>')).toBe('<p>&lt;b&gt;bold?&lt;/b&gt; and &lt;marquee&gt;hi&lt;/marquee&gt;</p>\n');
  expect(renderMarkdown('<div>\nblock\n</div>')).toContain('&lt;div&gt;');
});

test('images become plain links to the image, so no third-party request is made by the page', () => {
  expect(renderMarkdown('![Logo](https://example.com/logo.png)')).toBe('<p><a href="https://example.com/logo.png" rel="nofollow ugc noopener noreferrer">Logo</a></p>\n');
});

test('a link with a forbidden scheme keeps its text but loses the link', () => {
  const html = renderMarkdown('[click me](javascript:alert(1)) and <a href="javascript:alert(1)">this</a>');
  expect(html).toBe('<p><a rel="nofollow ugc noopener noreferrer">click me</a> and &lt;a href="javascript:alert(1)"&gt;this&lt;/a&gt;</p>\n');
});

test('the dangers() check itself spots what it is meant to spot', () => {
  expect(dangers('<p onclick="x">a</p>')).not.toEqual([]);
  expect(dangers('<p onclick=x>a</p>')).not.toEqual([]);
  expect(dangers('<img src="x">')).not.toEqual([]);
  expect(dangers('<a href="//evil.example">a</a>')).not.toEqual([]);
  expect(dangers('<a href="javascript:alert(1)">a</a>')).not.toEqual([]);
  expect(dangers('<a href="&#106;avascript:alert(1)">a</a>')).not.toEqual([]);
  expect(dangers('<iframe src="x"></iframe>')).not.toEqual([]);
  expect(dangers('<p><a href="https://x.example" rel="nofollow">ok</a></p>')).toEqual([]);
});
