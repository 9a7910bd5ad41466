/** A small SaaS site of our own: several linked pages, one of them off-limits by robots.txt. */
export const ACME_PAGES: Record<string, string> = {
  '/': page('Acme Invoicing', 'Invoicing software for freelancers and small agencies.', `
    <p>Acme Invoicing helps freelancers send professional invoices in under a minute.</p>
    <p>Small agencies use Acme to track billable hours across clients and projects.</p>
    <a href="/about">About</a> <a href="/pricing">Pricing</a> <a href="/customers">Customers</a>
    <a href="/blog/getting-paid-faster">Blog</a> <a href="/private/admin">Admin</a>
    <a href="https://elsewhere.invalid/">Partner</a>`),
  '/about': page('About Acme', 'Our story.', `
    <p>We started Acme after years of chasing late payments as independent designers.</p>
    <p>Our team of twelve works remotely from Lisbon and Berlin.</p>`),
  '/pricing': page('Pricing', 'Plans for every stage.', `
    <p>The Solo plan costs 9 euros per month and includes unlimited invoices.</p>
    <p>The Agency plan adds team seats, time tracking and client portals for 49 euros per month.</p>`),
  '/customers': page('Customers', 'Who uses Acme.', `
    <p>"Acme cut the time I spend on invoicing from a day to an hour each month," says a freelance photographer.</p>
    <p>Agencies with up to fifty people rely on Acme for recurring retainers.</p>`),
  '/blog/getting-paid-faster': page('Getting paid faster', 'Five habits.', `
    <p>Sending invoices on the day the work is delivered shortens payment times by a week on average.</p>`),
  '/private/admin': page('Admin', 'Do not crawl.', '<p>Secret admin page.</p>'),
  '/robots.txt': 'User-agent: *\nDisallow: /private/\n',
};

function page(title: string, description: string, body: string): string {
  return `<!doctype html><html lang="en"><head><title>${title}</title>
    <meta name="description" content="${description}"></head>
    <body><nav><a href="/">Home</a> <a href="/pricing">Pricing</a></nav>
    <main><h1>${title}</h1>${body}</main><footer>© Acme Invoicing Ltd.</footer></body></html>`;
}
