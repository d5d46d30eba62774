import type { AuthMode, Role } from "@/lib/shared/auth";

/**
 * How the account page says dates, numbers, providers and sign-in modes. Dates are rendered on the
 * server (whose time zone is not the reader's) and again in the browser: said in UTC both times,
 * so the two agree.
 */
const WHEN = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
const DAY = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: "UTC" });
const COUNT = new Intl.NumberFormat("en");

export function formatWhen(iso: string): string {
  return `${WHEN.format(new Date(iso))} UTC`;
}

export function formatDay(iso: string): string {
  return DAY.format(new Date(iso));
}

export function formatCount(value: number): string {
  return COUNT.format(value);
}

const PROVIDER_NAMES: Record<string, string> = {
  gemini: "Gemini",
  openai: "OpenAI-compatible",
  offline: "Offline analyzer",
};

/** A provider's name as the page's model menu says it; an id the page does not know, as it is. */
export function providerName(provider: string): string {
  return PROVIDER_NAMES[provider] ?? provider;
}

const MODE_NAMES: Record<AuthMode, string> = {
  none: "Off: everyone who reaches this server is its local owner",
  oidc: "Single sign-on with your team's identity provider",
  proxy: "Your team's sign-in proxy",
  password: "E-mail and password",
};

export function signInModeName(mode: AuthMode): string {
  return MODE_NAMES[mode];
}

export function roleName(role: Role): string {
  return role === "admin" ? "Admin" : "Member";
}
