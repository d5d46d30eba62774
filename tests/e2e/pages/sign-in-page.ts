import { expect, type Page } from "@playwright/test";
import type { OidcTestUser } from "../../helpers/oidc-provider";
import { oidcProvider } from "../oidc-env";

/**
 * The sign-in page (/sign-in) as a person finds it, and a whole sign-in through the test OpenID
 * provider: the provider signs in whoever oidc-env's `signInNext` named, with no form to fill.
 */
export function signInPage(page: Page) {
  return {
    heading: page.getByRole("heading", { level: 1 }),
    /** The one button of AUTH_MODE=oidc: "Sign in with <OIDC_NAME>". */
    signInButton: page.getByRole("button", { name: /^Sign in with / }),
  };
}

/** The header's account navigation: who is signed in, and the admin's badge and link. */
export function accountNavigation(page: Page) {
  const navigation = page.getByRole("navigation", { name: "Account" });
  return {
    navigation,
    adminLink: navigation.getByRole("link", { name: "Admin", exact: true }),
    signOut: navigation.getByRole("button", { name: "Sign out" }),
  };
}

/**
 * From the sign-in page the browser is on, signs in as `user` with the button, and waits until the
 * app has the browser back at `landing` (a path, or a pattern of the whole URL).
 */
export async function signInAs(page: Page, user: OidcTestUser, landing: string | RegExp) {
  await oidcProvider.signInNext(user);
  await expect(page).toHaveURL(/\/sign-in(\?|$)/);
  await signInPage(page).signInButton.click();
  await expect(page).toHaveURL(landing);
}

/** Where `page.screenshot` files of the oidc specs go: test-results/oidc-<name>.png. */
export function oidcScreenshot(name: string): string {
  return `test-results/oidc-${name}.png`;
}
