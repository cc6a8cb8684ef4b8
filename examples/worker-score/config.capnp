# config.capnp: serves the worker-score example with workerd. build.mjs copies it into
# dist/examples/worker-score/ beside the files it names; run it from there:
#   workerd serve config.capnp        (or --socket-addr http=127.0.0.1:PORT for another port)
# Module names are paths: the bundle's `import ... from "./kernels.wasm"` resolves against
# "worker.js" to "kernels.wasm". Workers cannot compile wasm from bytes at run time, so the
# kernels are a `wasm` module (compiled at startup); the model is a `data` module (an ArrayBuffer).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .scoreWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:8787", http = (), service = "main") ],
);

const scoreWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "kernels.wasm", wasm = embed "kernels.wasm"),
    (name = "model.ae", data = embed "model.ae"),
  ],
  compatibilityDate = "2025-09-01",
  # CORS_ORIGIN: the Access-Control-Allow-Origin of every answer, "*" or one origin such as
  # "https://app.example.com" (the same var is in wrangler.toml)
  bindings = [ (name = "CORS_ORIGIN", text = "*") ],
);
