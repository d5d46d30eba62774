import Link from "next/link";
import { buttonClassName } from "@/components/ui/button";

/** What an unknown or revoked share link shows, with status 404; no hint of which it was. */
export default function SharedLinkNotFound() {
  return (
    <main className="mx-auto flex max-w-2xl flex-col items-start gap-4 px-4 py-16 sm:px-8">
      <h1 className="text-2xl font-semibold tracking-tight sm:text-3xl">This link was revoked or never existed</h1>
      <p className="text-muted-foreground">
        The person who shared this conversation may have stopped sharing it or deleted it. Ask them for a new link.
      </p>
      <Link href="/" className={buttonClassName("primary")}>
        Ask about a diagram of your own
      </Link>
    </main>
  );
}
