// The OpenAPI document of a table that uses every kind of type and rule the generator describes
// (openapi_catalogue.cpp), validated by @apidevtools/swagger-parser against the OpenAPI 3.1
// schema, its $refs resolved. A copy with a dangling $ref must be refused, so the validator is
// known to look.
//
//     node openapi_validation_test.mjs <openapi_catalogue program>
import {execFileSync} from "node:child_process";
import SwaggerParser from "@apidevtools/swagger-parser";

const [program] = process.argv.slice(2);
if (!program) {
  console.error("usage: node openapi_validation_test.mjs <openapi_catalogue program>");
  process.exit(2);
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

const document = JSON.parse(execFileSync(program, [], {encoding: "utf8"}));
// The validator dereferences what it is given: each call gets a copy.
const validated = await SwaggerParser.validate(structuredClone(document));
expect(validated.openapi === "3.1.0", "the validated document's version: " + validated.openapi);
const product = validated.components.schemas.product;
expect(product.properties.origin.properties.street.type === "string", "$refs were resolved through nested structs");
expect(product.properties.section.properties.children.items === product.properties.section,
       "a recursive struct resolves to itself");

const dangling = structuredClone(document);
dangling.components.schemas.product.properties.origin = {$ref: "#/components/schemas/nowhere"};
let refused = false;
try {
  await SwaggerParser.validate(dangling);
} catch {
  refused = true;
}
expect(refused, "swagger-parser accepted a $ref to a schema that does not exist: it does not validate");
console.log("the catalogue's OpenAPI document is valid: " + Object.keys(document.paths).length + " paths, " +
            Object.keys(document.components.schemas).length + " schemas");
