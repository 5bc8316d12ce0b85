/**
 * The version, stated once: `deno.json`'s `version`, embedded at compile time.
 *
 * @module
 */
import denoJson from "../../deno.json" with { type: "json" };

/** The version printed by `--version` and carried in the start line. */
export const VERSION: string = denoJson.version;
