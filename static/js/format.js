// Small formatting helpers shared by the pages.

export function formatTime(iso) {
  if (!iso) {
    return "—";
  }
  const date = new Date(iso.endsWith("Z") || /[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
  return date.toLocaleString();
}

export function timeAgo(iso) {
  if (!iso) {
    return "never";
  }
  const date = new Date(iso.endsWith("Z") || /[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
  const seconds = Math.max(0, Math.round((Date.now() - date.getTime()) / 1000));
  if (seconds < 60) {
    return `${seconds} s ago`;
  }
  if (seconds < 3600) {
    return `${Math.round(seconds / 60)} min ago`;
  }
  return date.toLocaleString();
}

export function percent(fraction) {
  return `${Math.round((fraction || 0) * 100)}%`;
}

export function cardinalityRule(cardinality) {
  const text = String(cardinality).trim();
  let match = /^(\d+)\+$/.exec(text);
  if (match) {
    const low = Number(match[1]);
    return { low, high: null, text: `at least ${low} host${low === 1 ? "" : "s"}` };
  }
  match = /^(\d+)-(\d+)$/.exec(text);
  if (match) {
    const low = Number(match[1]);
    const high = Number(match[2]);
    return { low, high, text: low === high ? `exactly ${low} host${low === 1 ? "" : "s"}` : `between ${low} and ${high} hosts` };
  }
  const exact = Number(text);
  return { low: exact, high: exact, text: `exactly ${exact} host${exact === 1 ? "" : "s"}` };
}

export function cardinalityProblem(cardinality, count) {
  const rule = cardinalityRule(cardinality);
  if (count < rule.low || (rule.high !== null && count > rule.high)) {
    return `needs ${rule.text} (cardinality ${cardinality}), ${count} chosen`;
  }
  return "";
}
