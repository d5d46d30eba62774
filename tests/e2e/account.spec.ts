import { randomBytes } from "node:crypto";
import { request as apiRequest } from "@playwright/test";
import * as gemini from "../helpers/fake-gemini";
import { startNextServer, type RunningServer } from "../helpers/next-server";
import { APP_URL } from "./e2e-env";
import { fakeModel } from "./fake-control";
import { analyze, controls, expect, PHONE, test } from "./page-helpers";
import { accountLink, accountPage, accountScreenshot, usageOf } from "./pages/account-page";
import { axeViolations } from "./pages/history-page";

/**
 * The account page of the default server (AUTH_MODE=none): the local owner's usage per provider,
 * read after asking a question, and one sentence in place of the API tokens and sessions. Then, on
 * a server of its own in AUTH_MODE=proxy, a member's API tokens: created and shown once, used by
 * a script, revoked.
 *
 * Every spec asks the same server, one after another: the usage is read before this test's
 * question, and the page must show that plus what the fake model reported for it.
 */

const RUN = randomBytes(3).toString("hex");
/** What the fake Gemini reports for every reply (tests/helpers/fake-gemini.ts, textReply). */
const REPORTED = { inputTokens: 1290, outputTokens: 42, totalTokens: 1332 };
const count = (value: number) => new Intl.NumberFormat("en").format(value);

test.beforeEach(async () => {
  await fakeModel.reset();
});

test("the account page shows the question just asked in the usage per provider, and that sign-in is off", async ({ page, pageProblems, diagramPath }) => {
  const before = await usageOf(page.request, "gemini");
  await fakeModel.reply([gemini.textReply(["API Gateway hands each request to Lambda."])]);
  await page.goto("/");
  await analyze(page, diagramPath, `How does a request reach Lambda? (${RUN})`);
  await expect(controls(page).answer.getByTestId("answer-status")).toHaveText("Done");
  // The usage row is written as the answer ends, beside the stream: wait for it, not a clock.
  await expect.poll(async () => (await usageOf(page.request, "gemini")).row.analyses).toBe(before.row.analyses + 1);

  await accountLink(page).click();
  await expect(page).toHaveURL(`${APP_URL}/account`);
  const account = accountPage(page);
  await expect(account.heading).toBeVisible();
  await expect(account.identity).toContainText("Local owner");
  await expect(account.identity).toContainText("Admin");
  await expect(account.usageCells("Gemini")).toHaveText([
    count(before.row.analyses + 1),
    count(before.row.inputTokens + REPORTED.inputTokens),
    count(before.row.outputTokens + REPORTED.outputTokens),
    count(before.row.totalTokens + REPORTED.totalTokens),
  ]);
  await expect(account.today).toHaveText(
    `Today (UTC): ${count(before.todayTokens + REPORTED.totalTokens)} tokens. This server sets no daily token budget.`,
  );
  // Sign-in is off: no tokens to make, no sessions to end; one sentence says so.
  await expect(account.signInOff).toContainText("Sign-in is off on this server (AUTH_MODE=none)");
  await expect(account.tokens).toHaveCount(0);
  await expect(account.createToken).toHaveCount(0);
  await expect(account.signOutEverywhere).toHaveCount(0);

  expect(await axeViolations(page)).toEqual([]);
  await page.mouse.move(0, 0);
  await page.screenshot({ path: accountScreenshot("page"), fullPage: true, animations: "disabled" });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: accountScreenshot("page-dark"), fullPage: true, animations: "disabled" });
  // Dark colours' contrast and the phone's layout, in one pass.
  await page.setViewportSize(PHONE);
  expect(await axeViolations(page)).toEqual([]);
  await page.screenshot({ path: accountScreenshot("page-phone-dark"), fullPage: true, animations: "disabled" });
  await page.emulateMedia({ colorScheme: "light" });

  await account.back.click();
  await expect(page).toHaveURL(`${APP_URL}/`);
  await expect(controls(page).task).toBeVisible();
  pageProblems.expectNone();
});

test.describe("with sign-in on (AUTH_MODE=proxy)", () => {
  const ALICE = "alice@example.com";
  let server: RunningServer;

  // The proxy's header, sent from loopback: a trusted proxy by default (AUTH_TRUSTED_PROXIES).
  test.use({ extraHTTPHeaders: { "X-Forwarded-Email": ALICE }, permissions: ["clipboard-read", "clipboard-write"] });
  test.beforeAll(async () => {
    server = await startNextServer({ AUTH_MODE: "proxy" });
  });
  test.afterAll(async () => {
    await server?.stop();
  });

  test("a member creates an API token, sees it once, a script uses it, and revoking it stops it", async ({ page }) => {
    const consoleErrors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(error.message));
    await page.goto(`${server.url}/account`);
    const account = accountPage(page);
    await expect(account.identity).toContainText(ALICE);
    await expect(account.identity).toContainText("Member");
    await expect(account.usage).toContainText("No analyses in the last 30 days.");
    await expect(account.tokens.getByText("You have no API tokens.")).toBeVisible();
    await expect(page.getByText("Your team's sign-in proxy signs you in to this server and out of it")).toBeVisible();

    // An empty name is refused in the page, before anything is sent.
    await account.createToken.click();
    await expect(account.tokens.getByRole("alert")).toHaveText("Give the token a name, such as where it will be used.");

    await account.tokenName.fill("CI pipeline");
    await account.createToken.click();
    await expect(account.newToken.root).toContainText("it won't be shown again");
    // The box has focus and its text selected, ready for Ctrl+C.
    await expect(account.newToken.text).toBeFocused();
    const token = await account.newToken.text.inputValue();
    expect(token).toMatch(/^mra_[A-Za-z0-9_-]{40,}$/);
    await account.newToken.copy.click();
    await expect(account.newToken.root.getByRole("status")).toHaveText("Copied to the clipboard.");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
    await expect(account.tokenRows).toHaveCount(1);
    await expect(account.tokenRows.first()).toContainText(`Ends in …${token.slice(-4)}`);
    await expect(account.tokenRows.first()).toContainText("never used");

    await page.mouse.move(0, 0);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: accountScreenshot("tokens"), fullPage: true, animations: "disabled" });

    // A script: no proxy header, only the token.
    const script = await apiRequest.newContext({ baseURL: server.url, extraHTTPHeaders: { Authorization: `Bearer ${token}` } });
    try {
      const listed = await script.get("/api/tokens");
      expect(listed.status()).toBe(200);
      expect((await listed.json()) as unknown).toMatchObject({ tokens: [{ name: "CI pipeline", hint: token.slice(-4) }] });
      // A token cannot mint more tokens.
      expect((await script.post("/api/tokens", { data: { name: "another" } })).status()).toBe(403);

      // Done forgets the token: a reload shows only its name, and that it was used.
      await account.newToken.done.click();
      await expect(account.newToken.root).toHaveCount(0);
      await expect(account.tokensHeading).toBeFocused();
      await page.reload();
      await expect(account.tokenRows.first()).toContainText("last used");
      expect(await page.content()).not.toContain(token);

      // Revoke asks first; Cancel keeps it, and gives the focus back.
      await account.revoke("CI pipeline").click();
      await page.getByRole("group", { name: "Revoke “CI pipeline”?" }).getByRole("button", { name: "Cancel" }).click();
      await expect(account.revoke("CI pipeline")).toBeFocused();
      await account.revoke("CI pipeline").click();
      await page.getByRole("group", { name: "Revoke “CI pipeline”?" }).getByRole("button", { name: "Revoke", exact: true }).click();
      await expect(account.tokenStatus).toHaveText("Token “CI pipeline” revoked: scripts sending it are refused from now on.");
      await expect(account.tokenRows).toHaveCount(0);
      expect((await script.get("/api/tokens")).status()).toBe(401);
    } finally {
      await script.dispose();
    }

    await page.setViewportSize(PHONE);
    await page.emulateMedia({ colorScheme: "dark" });
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: accountScreenshot("tokens-phone-dark"), fullPage: true, animations: "disabled" });
    expect(consoleErrors).toEqual([]);
  });
});
