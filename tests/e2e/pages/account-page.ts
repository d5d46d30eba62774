import type { APIRequestContext, Page } from "@playwright/test";
import { usageReportSchema, type ProviderUsage } from "../../../lib/shared/account-contract";

/** The account page's parts as a person finds them (by role and name), and the way there from the workspace. */

/** Where `page.screenshot` files of the account spec go: test-results/account-<name>.png. */
export function accountScreenshot(name: string): string {
  return `test-results/account-${name}.png`;
}

/** The workspace header's Account link. */
export function accountLink(page: Page) {
  return page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Account", exact: true });
}

export function accountPage(page: Page) {
  const usage = page.getByRole("region", { name: "Your usage", exact: true });
  const tokens = page.getByRole("region", { name: "API tokens", exact: true });
  /** A provider's row of the usage table, by the name the page gives it ("Gemini"). */
  const usageRow = (provider: string) => usage.getByRole("row").filter({ has: page.getByRole("rowheader", { name: provider, exact: true }) });
  return {
    heading: page.getByRole("heading", { level: 1, name: "Account" }),
    back: page.getByRole("link", { name: "Back to the workspace" }),
    identity: page.getByRole("region", { name: "Who you are" }),
    usage,
    usageTable: usage.getByRole("table", { name: /^Your usage per provider/ }),
    usageRow,
    /** The row's numbers: analyses, input, output and total tokens, as the page writes them. */
    usageCells: (provider: string) => usageRow(provider).getByRole("cell"),
    today: page.getByTestId("usage-today"),
    /** What AUTH_MODE=none shows in place of the tokens and sessions. */
    signInOff: page.getByTestId("sign-in-off"),
    tokens,
    tokensHeading: tokens.getByRole("heading", { level: 2, name: "API tokens" }),
    tokenName: tokens.getByRole("textbox", { name: "Token name" }),
    createToken: page.getByRole("button", { name: "Create token" }),
    /** The token just created, shown this once. */
    newToken: {
      root: page.getByTestId("new-token"),
      text: page.getByRole("textbox", { name: "New API token" }),
      copy: page.getByTestId("new-token").getByRole("button", { name: "Copy" }),
      done: page.getByTestId("new-token").getByRole("button", { name: "Done" }),
    },
    /** The listed tokens, newest first. */
    tokenRows: tokens.getByTestId("api-token"),
    revoke: (name: string) => tokens.getByRole("button", { name: `Revoke “${name}”` }),
    /** What the last revocation did, announced. */
    tokenStatus: page.getByTestId("token-status"),
    signOutEverywhere: page.getByRole("button", { name: "Sign out everywhere" }),
  };
}

/** The provider's row of GET /api/usage, zeros when it has none yet. */
export async function usageOf(request: APIRequestContext, provider: string): Promise<{ row: ProviderUsage; todayTokens: number }> {
  const response = await request.get("/api/usage");
  if (!response.ok()) throw new Error(`GET /api/usage: HTTP ${response.status()}`);
  const report = usageReportSchema.parse(await response.json());
  const row = report.byProvider.find((each) => each.provider === provider) ?? { provider, analyses: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0 };
  return { row, todayTokens: report.today.totalTokens };
}
