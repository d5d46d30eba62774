import type { Page } from "@playwright/test";

/**
 * The admin page's parts as a person finds them (by role and name): its three tables, each row
 * named by its first cell, and the confirmations asked in place.
 */
export function adminPage(page: Page) {
  const table = (caption: string) => page.getByRole("table", { name: caption, exact: true });
  const rowOf = (caption: string, name: string) =>
    table(caption)
      .getByRole("row")
      .filter({ has: page.getByRole("rowheader", { name, exact: true }) });
  const members = "Members, with their analyses and tokens in the last 30 days";
  const usage = "Usage per provider in the last 30 days";
  const shares = "Active share links";
  return {
    heading: page.getByRole("heading", { level: 1 }),
    /** What the last action did. */
    status: page.getByTestId("admin-status"),
    problem: page.getByTestId("admin-problem"),
    refresh: page.getByRole("button", { name: "Refresh", exact: true }),
    backToWorkspace: page.getByRole("link", { name: "← Back to the workspace" }),
    membersTable: table(members),
    member: (name: string) => rowOf(members, name),
    usageTable: table(usage),
    /** A provider's row: its cells are analyses, input, output and total tokens. */
    usage: (providerName: string) => rowOf(usage, providerName),
    sharesTable: table(shares),
    /** The scrolling region around the share links' table, which keeps focus when a row goes. */
    sharesRegion: page.getByRole("region", { name: shares, exact: true }),
    share: (title: string) => rowOf(shares, title),
    revoke: (title: string) => page.getByRole("button", { name: `Revoke the link to “${title}”` }),
    revokeConfirmation: (title: string) => page.getByRole("group", { name: `Revoke the link to “${title}”?` }),
    invite: page.getByRole("button", { name: "Invite someone" }),
  };
}

/** The header's way to the admin page, beside the signed-in person. */
export function adminLink(page: Page) {
  return page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Admin", exact: true });
}

/** Where `page.screenshot` files of this spec go: test-results/admin-<name>.png. */
export function adminScreenshot(name: string): string {
  return `test-results/admin-${name}.png`;
}
