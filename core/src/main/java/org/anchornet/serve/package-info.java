/**
 * The cascade served over HTTP: a Cog-shaped prediction API, early exit batched across concurrent requests, Prometheus
 * metrics, an OpenAPI description and a web page to try it.
 */
package org.anchornet.serve;
