/**
 * robots.txt as RFC 9309 defines it: the group for our user agent (else `*`) decides; within it
 * the longest matching rule wins and Allow wins a tie; `*` and `$` work as wildcards. Sitemap
 * lines are collected from the whole file.
 */

interface Rule {
  allow: boolean;
  pattern: RegExp;
  length: number;
}

export interface RobotsRules {
  /** Whether our agent may fetch `url` (its path and query are matched). */
  isAllowed(url: string | URL): boolean;
  sitemaps: string[];
}

function toPattern(path: string): RegExp {
  const anchored = path.endsWith('$');
  const body = (anchored ? path.slice(0, -1) : path)
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}${anchored ? '$' : ''}`);
}

/** Percent-decodes what is safe to decode, so `/a%2Db` and `/a-b` compare equal. */
function normalizePath(path: string): string {
  try {
    return decodeURI(path);
  } catch {
    return path;
  }
}

/** Parses robots.txt for `userAgent` (a product token such as `MIPTechBot`). */
export function parseRobotsTxt(text: string, userAgent: string): RobotsRules {
  const agent = userAgent.toLowerCase().replace(/\/.*$/, '');
  const groups: Array<{ agents: string[]; rules: Rule[] }> = [];
  const sitemaps: string[] = [];
  let current: { agents: string[]; rules: Rule[] } | null = null;
  let lastWasAgent = false;

  for (const rawLine of text.split(/\r\n|\r|\n/)) {
    const line = rawLine.replace(/#.*$/, '').trim();
    const separator = line.indexOf(':');
    if (separator <= 0) continue;
    const key = line.slice(0, separator).trim().toLowerCase();
    const value = line.slice(separator + 1).trim();
    if (key === 'user-agent') {
      if (!current || !lastWasAgent) {
        current = { agents: [], rules: [] };
        groups.push(current);
      }
      current.agents.push(value.toLowerCase().replace(/\/.*$/, ''));
      lastWasAgent = true;
      continue;
    }
    lastWasAgent = false;
    if (key === 'sitemap') {
      if (value) sitemaps.push(value);
    } else if ((key === 'allow' || key === 'disallow') && current) {
      // An empty Disallow allows everything: no rule needed.
      if (value === '') continue;
      current.rules.push({ allow: key === 'allow', pattern: toPattern(normalizePath(value)), length: value.length });
    }
  }

  const own = groups.filter((group) => group.agents.includes(agent));
  const chosen = own.length > 0 ? own : groups.filter((group) => group.agents.includes('*'));
  const rules = chosen.flatMap((group) => group.rules);

  return {
    sitemaps,
    isAllowed(url) {
      const parsed = typeof url === 'string' ? new URL(url) : url;
      const path = normalizePath(`${parsed.pathname}${parsed.search}`);
      if (path === '/robots.txt') return true;
      let best: Rule | null = null;
      for (const rule of rules) {
        if (!rule.pattern.test(path)) continue;
        if (!best || rule.length > best.length || (rule.length === best.length && rule.allow)) best = rule;
      }
      return best ? best.allow : true;
    },
  };
}

/** Everything allowed (robots.txt absent). */
export const ALLOW_ALL: RobotsRules = { sitemaps: [], isAllowed: () => true };
/** Everything forbidden (robots.txt unreachable: RFC 9309 says assume a complete disallow). */
export const DISALLOW_ALL: RobotsRules = { sitemaps: [], isAllowed: () => false };
