// Host name patterns such as "node-0[1-3]", expanded the same way the server expands them:
// each [a-b] range keeps the width of a, so node-0[1-3] is node-01, node-02, node-03.

const RANGE = /\[(\d+)-(\d+)\]/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
export const MAX_HOSTS = 1000;

export function expandPattern(pattern) {
  const match = RANGE.exec(pattern);
  if (!match) {
    return [pattern];
  }
  const [whole, startText, endText] = match;
  const start = Number(startText);
  const end = Number(endText);
  if (end < start) {
    throw new Error(`host pattern ${pattern}: range [${startText}-${endText}] runs backwards`);
  }
  if (end - start + 1 > MAX_HOSTS) {
    throw new Error(`host pattern ${pattern} expands to more than ${MAX_HOSTS} hosts`);
  }
  const head = pattern.slice(0, match.index);
  const tails = expandPattern(pattern.slice(match.index + whole.length));
  const names = [];
  for (let number = start; number <= end; number += 1) {
    for (const tail of tails) {
      names.push(head + String(number).padStart(startText.length, "0") + tail);
    }
  }
  return names;
}

// Expand a text of names and patterns separated by commas, spaces or new lines.
// Returns {hosts: [{name, problem}], error}; problem is "" for a valid, first-seen name.
export function expandHostText(text) {
  const entries = text.split(/[\s,]+/).filter(Boolean);
  const hosts = [];
  const seen = new Map();
  try {
    for (const entry of entries) {
      for (const name of expandPattern(entry)) {
        hosts.push({ name, problem: problemOf(name, seen) });
        if (hosts.length > MAX_HOSTS) {
          return { hosts: [], error: `more than ${MAX_HOSTS} hosts; add them in smaller steps` };
        }
      }
    }
  } catch (error) {
    return { hosts: [], error: error.message };
  }
  return { hosts, error: "" };
}

function problemOf(name, seen) {
  if (!HOSTNAME.test(name)) {
    return "not a valid hostname (letters, digits, '-' and '.')";
  }
  const key = name.toLowerCase();
  if (seen.has(key)) {
    return `duplicate of ${seen.get(key)}`;
  }
  seen.set(key, name);
  return "";
}
