/** @type {import("next").NextConfig} */
module.exports = { transpilePackages: ["@acme/ui"] };
