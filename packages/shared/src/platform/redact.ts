import { isClusterUrl, redactClusterUrl } from './redis-cluster';

// One redaction for every URL a service logs or serves (logs, /readyz, error messages, failed-job
// reasons). Providers put keys in many places: the user and password (`https://key@host`,
// Redis/Postgres passwords), a path segment (`/v3/<key>`, `/v2/<key>`, `/<key>/`), the query
// string (`?apikey=...`). All of them are replaced by `***`; scheme, host, port and the
// ordinary path segments stay, so a log still says which endpoint it was.

const MASK = '***';

/** A path segment that looks like a key or token: long, and letters mixed with digits. */
function looksLikeKey(segment: string): boolean {
  if (segment.length >= 32) return true;
  return segment.length >= 16 && /^[A-Za-z0-9_~.-]+$/.test(segment) && /\d/.test(segment) && /[A-Za-z]/.test(segment);
}

/** A URL with its user, password, key-like path segments and query values replaced, safe to log. */
export function redactUrl(url: string): string {
  if (isClusterUrl(url)) return redactClusterUrl(url);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '(unparseable url)';
  }
  if (u.username) u.username = MASK;
  if (u.password) u.password = MASK;
  u.pathname = u.pathname
    .split('/')
    .map((s) => (looksLikeKey(decodeURIComponent(s)) ? MASK : s))
    .join('/');
  if (u.search) {
    // Every value: a parameter's name does not tell whether it is a secret (apikey, key, token, auth...).
    u.search = [...u.searchParams.keys()].map((k) => `${encodeURIComponent(k)}=${MASK}`).join('&');
  }
  u.hash = '';
  return u.toString().replace(/%2A%2A%2A/g, MASK);
}

// scheme://... up to whitespace or a quote; trailing punctuation belongs to the sentence.
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

/** Every URL inside a text (an error message, a failed job's reason) redacted with redactUrl. */
export function redactSecrets(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_IN_TEXT, (match) => {
    const [, body, tail] = /^(.*?)([.,;:)\]}]*)$/s.exec(match)!;
    return redactUrl(body!) + tail!;
  });
}

/** The message of an error, redacted: what may leave the process (logs, /readyz, job reasons). */
export function redactedMessage(err: unknown): string {
  const message = typeof (err as Error | null)?.message === 'string' ? (err as Error).message : String(err);
  return redactSecrets(message);
}
