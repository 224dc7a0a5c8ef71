// Validates GLB files with the Khronos glTF validator (npm `gltf-validator`, a devDependency
// of webmap/frontend) and prints one JSON report per file: {file, errors, warnings, messages}.
// Usage: node gltf_validate.cjs FRONTEND_DIR FILE...
const fs = require("fs");
const path = require("path");

const [frontend, ...files] = process.argv.slice(2);
const validator = require(path.join(frontend, "node_modules", "gltf-validator"));

(async () => {
  const reports = [];
  for (const file of files) {
    const result = await validator.validateBytes(new Uint8Array(fs.readFileSync(file)), {
      maxIssues: 100,
    });
    reports.push({
      file,
      errors: result.issues.numErrors,
      warnings: result.issues.numWarnings,
      messages: result.issues.messages.map(
        (m) => `${m.severity} ${m.code} ${m.pointer || ""} ${m.message}`,
      ),
    });
  }
  process.stdout.write(JSON.stringify(reports));
})().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exit(2);
});
