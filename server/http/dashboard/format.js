// Formatting of API values for display. uint64 fields arrive as JSON strings.

const grouping = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

// "12345" (or 12345) -> "12,345"; anything unparsable -> an em dash.
export function fmtCount(value) {
  if (value === undefined || value === null || value === '') return '\u2014';
  try {
    return grouping.format(BigInt(value));
  } catch (_) {
    const n = Number(value);
    return Number.isFinite(n) ? grouping.format(n) : '\u2014';
  }
}

// BigInt of a uint64 JSON value; 0n for missing or bad input.
export function toBig(value) {
  try {
    return BigInt(value ?? 0);
  } catch (_) {
    return 0n;
  }
}

// Events per second: "0", "0.50", "12.3", "1,204".
export function fmtRate(value) {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) return '0';
  if (n < 10) return n.toFixed(2);
  if (n < 100) return n.toFixed(1);
  return grouping.format(Math.round(n));
}

export function fmtPercent(value) {
  const n = Number(value);
  if (!Number.isFinite(n)) return '\u2014';
  if (n > 0 && n < 1) return '<1%';
  return `${Math.round(n)}%`;
}

// A Timestamp (RFC 3339 string) as a Date, or null when unset.
export function toDate(value) {
  if (!value) return null;
  const d = new Date(value);
  if (Number.isNaN(d.getTime()) || d.getTime() <= 0) return null;
  return d;
}

// "just now", "42 s ago", "5 min ago", "3 h ago", "4 d ago"; "never".
export function fmtRelative(value, now = Date.now()) {
  const d = toDate(value);
  if (!d) return 'never';
  const s = Math.floor((now - d.getTime()) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

// Local date and time, for tooltips and "created" columns.
export function fmtDateTime(value) {
  const d = toDate(value);
  if (!d) return '\u2014';
  return d.toLocaleString(undefined, {
    year: 'numeric', month: 'short', day: 'numeric',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
}

export function fmtClock(date) {
  return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

const KINDS = {
  EXCHANGE_KIND_FANOUT: 'fanout',
  EXCHANGE_KIND_DIRECT: 'direct',
  EXCHANGE_KIND_TOPIC: 'topic',
};
export function kindName(kind) {
  return KINDS[kind] || String(kind || 'unspecified').replace(/^EXCHANGE_KIND_/, '').toLowerCase();
}

// "CONSUMER_STATE_ACTIVE" -> "ACTIVE".
export function stateName(state) {
  return String(state || 'CONSUMER_STATE_UNSPECIFIED').replace(/^CONSUMER_STATE_/, '');
}

// "order.* payment.#, x" -> ["order.*", "payment.#", "x"].
export function splitList(text) {
  return String(text || '').split(/[\s,]+/).filter(Boolean);
}

const ACTIONS = {
  admin: 'PERMISSION_ACTION_ADMIN',
  publish: 'PERMISSION_ACTION_PUBLISH',
  subscribe: 'PERMISSION_ACTION_SUBSCRIBE',
};

// Lines like "publish orders.*", "subscribe billing", "admin" (also
// "publish:orders.*") -> [{action, pattern}]. Throws Error with a message
// naming the bad line.
export function parsePermissions(text) {
  const out = [];
  String(text || '').split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const m = line.match(/^(\w+)(?:\s*[:\s]\s*(\S+))?$/);
    const action = m && ACTIONS[m[1].toLowerCase()];
    if (!action) {
      throw new Error(`line ${i + 1} "${line}": write "admin", "publish PATTERN" or "subscribe PATTERN"`);
    }
    const pattern = m[2] || '';
    if (action === ACTIONS.admin && pattern) {
      throw new Error(`line ${i + 1} "${line}": admin takes no pattern`);
    }
    if (action !== ACTIONS.admin && !pattern) {
      throw new Error(`line ${i + 1} "${line}": ${m[1].toLowerCase()} needs a pattern, e.g. "${m[1].toLowerCase()} orders.*" or "#"`);
    }
    out.push({ action, pattern });
  });
  return out;
}

// {action, pattern} -> "publish orders.*", "admin".
export function permissionText(p) {
  const action = String(p?.action || '').replace(/^PERMISSION_ACTION_/, '').toLowerCase() || 'unspecified';
  return p?.pattern ? `${action} ${p.pattern}` : action;
}
