// Tend is a client-only app: every document is decrypted in the browser, never on a server.
export const ssr = false;
export const prerender = false;
