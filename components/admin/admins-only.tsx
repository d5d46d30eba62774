import Link from "next/link";
import { buttonClassName } from "@/components/ui/button";

/** What a member who opens /admin sees: what the page is for, and the way back. */
export function AdminsOnly() {
  return (
    <main className="mx-auto flex max-w-2xl flex-col items-start gap-4 px-4 py-16 sm:px-8">
      <h1 className="text-2xl font-semibold tracking-tight sm:text-3xl">Only admins can open this page</h1>
      <p className="text-muted-foreground">
        The admin page shows every member&apos;s usage and share links. Your own usage and API tokens are on your account page.
      </p>
      <div className="flex flex-wrap items-center gap-4">
        <Link href="/" className={buttonClassName("primary")}>
          Back to the workspace
        </Link>
        <Link href="/account" className="text-primary underline underline-offset-2 focus-visible:outline-2 focus-visible:outline-ring">
          Your account
        </Link>
      </div>
    </main>
  );
}
