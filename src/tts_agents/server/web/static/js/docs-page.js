// The API docs page: Swagger UI (vendored, loaded with Subresource Integrity) reading
// /openapi.json. "Try it out" calls go out with this browser's session and CSRF header.

import { startSession } from "./session.js";
import { initHeader } from "./ui.js";

async function main() {
  const current = await startSession();
  initHeader(current);
  window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: false,
    validatorUrl: null,
    defaultModelsExpandDepth: 0,
    requestInterceptor: (request) => {
      if (current.csrf_token) {
        request.headers[current.csrf_header] = current.csrf_token;
      }
      return request;
    },
  });
}

main();
