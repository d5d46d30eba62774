import type { Metadata } from "next";
import { SignInCard } from "@/components/sign-in/sign-in-card";
import { readableCode, signInProblem } from "@/components/sign-in/sign-in-problems";

export const metadata: Metadata = { title: "Sign-in problem · Multimodal Reasoning Agent", robots: { index: false, follow: false } };

/**
 * /sign-in/error?error=<code>: where a refused or failed sign-in lands (better-auth's callback, the
 * workspace's refusals). Says what happened and what to do; only the code is read from the
 * address, never a description, which anyone could write into a link.
 */
export default async function SignInErrorPage({ searchParams }: { searchParams: Promise<{ error?: string | string[] }> }) {
  const code = readableCode((await searchParams).error);
  const problem = signInProblem(code);
  return (
    <SignInCard title={problem.title} lead={problem.explanation}>
      <div className="flex flex-col gap-4 text-sm">
        <p>{problem.advice}</p>
        {problem.showCode && (
          <p className="text-muted-foreground">
            Code: <code className="rounded bg-muted px-1 py-0.5 text-xs text-foreground">{code ?? "unknown"}</code>
          </p>
        )}
        <a
          href="/sign-in"
          className="self-start rounded-lg bg-primary px-4 py-2 font-medium text-primary-foreground shadow-sm hover:opacity-90 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring"
        >
          Try again
        </a>
      </div>
    </SignInCard>
  );
}
