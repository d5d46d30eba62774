import { z } from "zod";

// zod compiles each object schema with `new Function` as the schema is built, after probing
// whether eval is allowed; under the page's content security policy (no 'unsafe-eval') the probe
// itself is reported as a violation. So the shared schemas are interpreted, configured here before
// any is built: they check the same shapes, and a form, an event or a listing is small.
z.config({ jitless: true });

export { z };
