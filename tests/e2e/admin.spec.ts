import { randomBytes } from "node:crypto";
import type { Page } from "@playwright/test";
import { adminUsageSchema, type ProviderUsage } from "../../lib/shared/admin-contract";
import * as gemini from "../helpers/fake-gemini";
import { APP_URL } from "./e2e-env";
import { fakeModel } from "./fake-control";
import { analyze, controls, expect, PHONE, test } from "./page-helpers";
import { adminLink, adminPage, adminScreenshot } from "./pages/admin-page";
import { axeViolations, conversationBar, savedConversationId } from "./pages/history-page";

/**
 * The admin page, with the default server (AUTH_MODE=none), whose local owner is its admin: an
 * answer shows up in the usage, a share link in the list of links, and Revoke ends the link.
 *
 * Other specs use the same server and its history first: this one compares the usage with what it
 * was before its own question, and finds its conversation by a text of this run's own.
 */

const RUN = randomBytes(3).toString("hex");
const TASK = `Explain this architecture to the team (${RUN})`;
const ANSWER = "API Gateway hands each request to Lambda Functions, which store it in Amazon S3.";
/** What the fake Gemini reports for every answer (tests/helpers/fake-gemini.ts). */
const REPORTED = { inputTokens: 1290, outputTokens: 42, totalTokens: 1332 };
const COUNT = new Intl.NumberFormat("en");

test.beforeEach(async () => {
  await fakeModel.reset();
});

async function geminiUsage(page: Page): Promise<ProviderUsage> {
  const usage = adminUsageSchema.parse(await (await page.request.get("/api/admin/usage")).json());
  return usage.byProvider.find((row) => row.provider === "gemini") ?? { provider: "gemini", analyses: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0 };
}

test("the admin sees the usage and the share link of an answer, and revoking the link makes it a 404", async ({ page, context, browser, pageProblems, diagramPath }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: APP_URL });
  await fakeModel.reply([gemini.textReply([ANSWER])]);
  const before = await geminiUsage(page);

  await page.goto("/");
  await analyze(page, diagramPath, TASK);
  await expect(controls(page).answer.getByTestId("answer-status")).toHaveText("Done");
  await savedConversationId(page);
  const bar = conversationBar(page);
  await bar.share.click();
  await expect(bar.shareStatus).toHaveText("Link copied: anyone with it can read this conversation.");
  const link = await page.evaluate(() => navigator.clipboard.readText());

  await adminLink(page).click();
  await expect(page).toHaveURL(`${APP_URL}/admin`);
  const admin = adminPage(page);
  await expect(admin.heading).toHaveText("Admin");
  await expect(admin.usage("Gemini").getByRole("cell")).toHaveText([
    COUNT.format(before.analyses + 1),
    COUNT.format(before.inputTokens + REPORTED.inputTokens),
    COUNT.format(before.outputTokens + REPORTED.outputTokens),
    COUNT.format(before.totalTokens + REPORTED.totalTokens),
  ]);
  // The local owner is the one person here, an admin, who cannot disable themself.
  const owner = admin.member("No e-mail (this machine's owner)");
  await expect(owner).toContainText("Local owner");
  await expect(owner).toContainText("You");
  await expect(owner.getByRole("button")).toHaveCount(0);
  await expect(admin.share(TASK)).toContainText("This machine's owner");
  await expect(admin.share(TASK)).toContainText("Team members");
  // No invitations without accounts of the app's own (AUTH_MODE=password).
  await expect(admin.invite).toHaveCount(0);

  expect(await axeViolations(page)).toEqual([]);
  await page.mouse.move(0, 0);
  await page.screenshot({ path: adminScreenshot("page"), fullPage: true, animations: "disabled" });
  await page.emulateMedia({ colorScheme: "dark" });
  expect(await axeViolations(page)).toEqual([]);
  await page.screenshot({ path: adminScreenshot("page-dark"), fullPage: true, animations: "disabled" });
  await page.emulateMedia({ colorScheme: "light" });

  // Esc leaves the confirmation as it was, and focus goes back to the button.
  await admin.revoke(TASK).click();
  const confirmation = admin.revokeConfirmation(TASK);
  await expect(confirmation.getByRole("button", { name: "Cancel" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(confirmation).toHaveCount(0);
  await expect(admin.revoke(TASK)).toBeFocused();

  await page.keyboard.press("Enter");
  await confirmation.getByRole("button", { name: "Revoke", exact: true }).click();
  await expect(admin.status).toHaveText(`The link to “${TASK}” is revoked.`);
  await expect(admin.share(TASK)).toHaveCount(0);
  await expect(admin.sharesRegion.or(page.getByText("No conversation is shared right now."))).toBeVisible();

  const reader = await browser.newContext();
  const opened = await reader.newPage();
  const response = (await opened.goto(link))!;
  expect(response.status()).toBe(404);
  await expect(opened.getByRole("heading", { level: 1 })).toHaveText("This link was revoked or never existed");
  await expect(opened.getByText("store it in Amazon S3")).toHaveCount(0);
  await reader.close();

  // A reload reads the tables again from the server: the link stays gone.
  await page.reload();
  await expect(admin.share(TASK)).toHaveCount(0);
  await expect(admin.usage("Gemini")).toBeVisible();
  pageProblems.expectNone();
});

test("on a phone, the tables scroll sideways inside the page, which itself keeps the screen's width", async ({ page, pageProblems }) => {
  await page.setViewportSize(PHONE);
  await page.goto("/admin");
  const admin = adminPage(page);
  await expect(admin.heading).toHaveText("Admin");
  await expect(admin.membersTable).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  // The members' table is wider than a phone: its own region scrolls, by keyboard too.
  const region = page.getByRole("region", { name: "Members, with their analyses and tokens in the last 30 days", exact: true });
  expect(await region.evaluate((element) => element.scrollWidth > element.clientWidth)).toBe(true);
  await region.focus();
  await page.keyboard.press("ArrowRight");
  await expect.poll(() => region.evaluate((element) => element.scrollLeft)).toBeGreaterThan(0);
  expect(await axeViolations(page)).toEqual([]);
  await page.screenshot({ path: adminScreenshot("phone"), fullPage: true, animations: "disabled" });
  pageProblems.expectNone();
});
