/**
 * How the admin page writes numbers, times and providers. Rendered first on the server, whose
 * time zone is not the reader's: times are said in UTC, so both renders agree.
 */

const COUNT = new Intl.NumberFormat("en");
const WHEN = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
const DAY = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: "UTC" });

export function formatCount(value: number): string {
  return COUNT.format(value);
}

/** "Mar 10, 2025, 12:00 PM UTC". */
export function formatWhen(iso: string): string {
  return `${WHEN.format(new Date(iso))} UTC`;
}

/** "Mar 10, 2025". */
export function formatDay(iso: string): string {
  return DAY.format(new Date(iso));
}

const PROVIDER_NAMES: Record<string, string> = {
  gemini: "Gemini",
  openai: "OpenAI-compatible",
  offline: "Offline analyzer",
};

/** A provider's name as the page names it elsewhere; an id it does not know, as it is. */
export function providerName(id: string): string {
  return PROVIDER_NAMES[id] ?? id;
}
