import { randomBytes } from "node:crypto";
import type { Browser, BrowserContext, Page } from "@playwright/test";
import { OIDC_ADMIN, OIDC_APP_URL, OIDC_MEMBER } from "./oidc-env";
import { analyze, controls, expect, OFFLINE_LABEL, test } from "./page-helpers";
import { conversationBar, savedConversationId } from "./pages/history-page";
import { accountNavigation, oidcScreenshot, signInAs, signInPage } from "./pages/sign-in-page";

/**
 * A team's day on a server in AUTH_MODE=oidc, in the browser, through a real OpenID provider:
 * Alice (in AUTH_ADMINS) signs in with the sign-in page's button, asks the offline analyzer about
 * a diagram and shares the conversation with the team; Bob, a member, signs in from the link and
 * reads it; a visitor who is signed out is sent to sign in instead. SHARE_PUBLIC is on for this
 * server: a public link opens for that visitor.
 */

const RUN = randomBytes(3).toString("hex");
const TASK = `Explain this architecture (${RUN})`;
const SHARE_LINK = new RegExp(`^${OIDC_APP_URL}/s/([A-Za-z0-9_-]{43})$`);

/** A browser of its own (no cookies), at the oidc server, allowed to use the clipboard. */
async function freshBrowser(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: OIDC_APP_URL });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: OIDC_APP_URL });
  return { context, page: await context.newPage() };
}

/** Alice, signed in from the workspace's address, which sends a signed-out browser to sign in. */
async function aliceSignedIn(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const alice = await freshBrowser(browser);
  await alice.page.goto("/");
  await signInAs(alice.page, OIDC_ADMIN, `${OIDC_APP_URL}/`);
  return alice;
}

/**
 * Asks about the diagram and waits for the saved answer's address. The offline analyzer is this
 * server's only provider, so the page offers no choice of model and names it in the header.
 */
async function askOffline(page: Page, diagramPath: string, task: string): Promise<string> {
  const { model, answer } = controls(page);
  await expect(page.getByText(`Answers by ${OFFLINE_LABEL}`)).toBeVisible();
  await expect(model).toHaveCount(0);
  await analyze(page, diagramPath, task);
  await expect(answer.getByTestId("answer-status")).toHaveText("Done", { timeout: 30_000 });
  await expect(answer.getByTestId("answer-text")).toContainText("Lambda Functions");
  return savedConversationId(page);
}

/** Shares the open conversation with Share, for the team or for anyone, and returns the link it copied. */
async function shareOpenConversation(page: Page, audience: "team" | "public" = "team"): Promise<string> {
  const bar = conversationBar(page);
  // This server has SHARE_PUBLIC on: the page asks who the link is for, the team unless chosen.
  await expect(bar.shareAudience).toHaveValue("team");
  if (audience === "public") await bar.shareAudience.selectOption({ label: "Anyone with the link" });
  await bar.share.click();
  await expect(bar.shareStatus).toContainText(
    audience === "public" ? "Link copied: anyone with it can read this conversation." : "Link copied: team members who are signed in can read",
  );
  const link = await page.evaluate(() => navigator.clipboard.readText());
  expect(link).toMatch(SHARE_LINK);
  return link;
}

test("Alice signs in through the identity provider, asks and shares; Bob signs in and reads the link; a signed-out visitor is sent to sign in", async ({
  browser,
  diagramPath,
}) => {
  test.slow(); // real OCR of the diagram, on the server
  const alice = await freshBrowser(browser);
  const { page } = alice;

  await test.step("a signed-out visitor of the workspace is sent to the sign-in page", async () => {
    await page.goto("/");
    await expect(page).toHaveURL(/\/sign-in$/);
    await expect(signInPage(page).heading).toBeVisible();
    await expect(signInPage(page).signInButton).toBeVisible();
    await page.screenshot({ path: oidcScreenshot("sign-in-page"), fullPage: true, animations: "disabled" });
  });

  await test.step("Alice signs in with the button and is the admin", async () => {
    await signInAs(page, OIDC_ADMIN, `${OIDC_APP_URL}/`);
    const account = accountNavigation(page);
    await expect(account.navigation).toContainText(OIDC_ADMIN.email);
    await expect(account.adminLink).toBeVisible();
    await expect(account.signOut).toBeVisible();
  });

  let link = "";
  await test.step("Alice asks the offline analyzer and shares the conversation with the team", async () => {
    await askOffline(page, diagramPath, TASK);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: oidcScreenshot("alice-answer"), fullPage: true, animations: "disabled" });
    link = await shareOpenConversation(page);
  });

  await test.step("Bob, sent to sign in by the link, signs in and reads the conversation, as a member", async () => {
    const bob = await freshBrowser(browser);
    const response = await bob.page.goto(link);
    expect(response?.ok()).toBe(true);
    const token = SHARE_LINK.exec(link)![1]!;
    await expect(bob.page).toHaveURL(`${OIDC_APP_URL}/sign-in?next=${encodeURIComponent(`/s/${token}`)}`);
    await signInAs(bob.page, OIDC_MEMBER, link);
    await expect(bob.page.getByRole("heading", { level: 1 })).toHaveText(TASK);
    await expect(bob.page.getByTestId("turn").getByTestId("answer-text")).toContainText("Lambda Functions");
    // Read-only: nothing to ask or share.
    await expect(bob.page.getByRole("form")).toHaveCount(0);
    await expect(bob.page.getByRole("button", { name: /Regenerate|Share/ })).toHaveCount(0);
    await bob.page.screenshot({ path: oidcScreenshot("bob-reads-shared"), fullPage: true, animations: "disabled" });

    // A member: the workspace shows him no way to the admin page.
    await bob.page.goto("/");
    await expect(accountNavigation(bob.page).navigation).toContainText(OIDC_MEMBER.email);
    await expect(accountNavigation(bob.page).adminLink).toHaveCount(0);
    await bob.context.close();
  });

  await test.step("a signed-out visitor opening the team link is sent to sign in and sees none of it", async () => {
    const visitor = await freshBrowser(browser);
    await visitor.page.goto(link);
    const token = SHARE_LINK.exec(link)![1]!;
    await expect(visitor.page).toHaveURL(`${OIDC_APP_URL}/sign-in?next=${encodeURIComponent(`/s/${token}`)}`);
    await expect(signInPage(visitor.page).signInButton).toBeVisible();
    await expect(visitor.page.getByText(TASK)).toHaveCount(0);
    await expect(visitor.page.getByText("Lambda Functions")).toHaveCount(0);
    expect((await visitor.page.request.get(`${link}/image`, { maxRedirects: 0 })).status()).not.toBe(200);
    await visitor.page.screenshot({ path: oidcScreenshot("signed-out-redirect"), fullPage: true, animations: "disabled" });
    await visitor.context.close();
  });

  await alice.context.close();
});

test("with SHARE_PUBLIC, Alice makes a public link, which a signed-out visitor reads", async ({ browser, diagramPath }) => {
  test.slow();
  const PUBLIC_TASK = `List every component (${RUN})`;
  const alice = await aliceSignedIn(browser);
  await askOffline(alice.page, diagramPath, PUBLIC_TASK);
  const link = await shareOpenConversation(alice.page, "public");
  await alice.page.screenshot({ path: oidcScreenshot("public-link-shared"), fullPage: true, animations: "disabled" });

  const visitor = await freshBrowser(browser);
  const response = await visitor.page.goto(link);
  expect(response?.status()).toBe(200);
  await expect(visitor.page).toHaveURL(link);
  await expect(visitor.page.getByRole("heading", { level: 1 })).toHaveText(PUBLIC_TASK);
  await expect(visitor.page.getByTestId("turn").getByTestId("answer-text")).toContainText("Lambda Functions");
  await expect(visitor.page.getByRole("button", { name: /^Sign in with / })).toHaveCount(0);
  await visitor.page.screenshot({ path: oidcScreenshot("public-link-signed-out"), fullPage: true, animations: "disabled" });
  await visitor.context.close();
  await alice.context.close();
});

test("a member over LIMIT_REQUESTS_PER_MINUTE is told how long to wait, and keeps the answers he has", async ({ browser, diagramPath }) => {
  test.slow(); // two real OCR answers on the server
  const bob = await freshBrowser(browser);
  await bob.page.goto("/");
  await signInAs(bob.page, OIDC_MEMBER, `${OIDC_APP_URL}/`);

  // This server allows each person two analyses a minute (playwright.config.ts), counted from the first.
  await askOffline(bob.page, diagramPath, `Which services keep data? (${RUN})`);
  const { followUpTask, ask, turns, answer } = controls(bob.page);
  await followUpTask.fill("What does API Gateway do?");
  await ask.click();
  await expect(turns).toHaveCount(2);
  await expect(answer.getByTestId("answer-status")).toHaveText("Done", { timeout: 30_000 });

  await followUpTask.fill("And what reads from Amazon S3?");
  await ask.click();
  const refusal = bob.page.getByRole("alert").filter({ hasText: "You have started 2 analyses in the last minute" });
  await expect(refusal).toBeVisible();
  await expect(refusal).toContainText(/try again in \d+ seconds?\./);
  // Nothing he was shown is lost.
  await expect(turns.first().getByTestId("answer-text")).toContainText("Lambda Functions");
  await expect(turns.nth(1).getByTestId("answer-status")).toHaveText("Done");
  await bob.page.screenshot({ path: oidcScreenshot("rate-limited"), fullPage: true, animations: "disabled" });
  await bob.context.close();
});
