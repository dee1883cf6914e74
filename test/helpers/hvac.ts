import { spawn } from 'node:child_process';

/**
 * Debian's own Python: the one `apt-get install python3-hvac` installs hvac for. Deliberately not the
 * `python3` first on PATH (often a pyenv or venv interpreter without Debian's dist-packages).
 */
export const DEBIAN_PYTHON = '/usr/bin/python3';

const INSTALL_HINT =
  "the hvac e2e tests need the Python hvac client: install Debian's python3-hvac (apt-get install -y python3-hvac) " +
  `for ${DEBIAN_PYTHON}; .ci/run does this when it is missing`;

/** How long one Python run may take before it is killed and the call rejects. */
const RUN_TIMEOUT_MS = 60_000;

/**
 * A Python exception raised by the body (hvac's or any other): `pythonClass` is the qualified class
 * name (`hvac.exceptions.InvalidRequest`), `errors` the `errors` list hvac parsed from Vault's
 * `{"errors":[...]}` answer (null for non-hvac exceptions), `message` reads `<class>: <str(exc)>`.
 */
export class HvacError extends Error {
  constructor(
    readonly pythonClass: string,
    readonly pythonMessage: string,
    readonly errors: string[] | null,
  ) {
    super(`${pythonClass}: ${pythonMessage}`);
    this.name = 'HvacError';
  }
}

/** Options for tests of the harness itself. */
export interface HvacRunOptions {
  /** The Python interpreter to run; Debian's `/usr/bin/python3` unless a test says otherwise. */
  python?: string;
}

/*
 * The wrapper run by Python. The body's own prints go to stderr so stdout carries exactly one JSON
 * document. hvac returns a requests.Response for answers without a JSON body (204s); those become
 * {"status_code": n, "json": body-or-null} so a body may return them as `result` unchanged.
 */
const WRAPPER = String.raw`
import json, os, sys
try:
    import hvac
except Exception as exc:
    sys.stdout.write(json.dumps({"kind": "hvac-missing", "detail": "%s: %s" % (type(exc).__name__, exc)}))
    sys.exit(3)
body = sys.stdin.read()
real_stdout = sys.stdout
sys.stdout = sys.stderr
def to_json(value):
    if hasattr(value, "status_code") and hasattr(value, "text"):
        try:
            parsed = value.json() if value.text else None
        except ValueError:
            parsed = value.text
        return {"status_code": value.status_code, "json": parsed}
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError("result holds a %s, which is not JSON-serializable" % type(value).__name__)
scope = {"json": json, "hvac": hvac, "__name__": "__hvac_body__"}
scope["client"] = hvac.Client(url=os.environ["FERRY_HVAC_ADDR"], token=os.environ["FERRY_HVAC_TOKEN"] or None)
try:
    exec(compile(body, "<hvac test body>", "exec"), scope)
    out = {"kind": "ok", "result": scope.get("result")}
    text = json.dumps(out, default=to_json)
except BaseException as exc:
    cls = type(exc)
    name = cls.__qualname__ if cls.__module__ == "builtins" else cls.__module__ + "." + cls.__qualname__
    errors = getattr(exc, "errors", None)
    text = json.dumps({"kind": "exception", "class": name, "message": str(exc),
                       "errors": errors if isinstance(errors, list) else None}, default=str)
real_stdout.write(text)
real_stdout.flush()
`;

interface WrapperOutput {
  kind: 'ok' | 'exception' | 'hvac-missing';
  result?: unknown;
  class?: string;
  message?: string;
  errors?: string[] | null;
  detail?: string;
}

/**
 * Runs `pythonBody` under Debian's Python with `import json, hvac` done and a ready
 * `client = hvac.Client(url=addr, token=token)` in scope. The body assigns its answer to `result`;
 * the promise resolves to `json.dumps(result)` parsed. A Python exception rejects with an
 * {@link HvacError} (e.g. `hvac.exceptions.InvalidRequest: ...`). When hvac cannot be imported the
 * promise rejects with an error telling to install Debian's python3-hvac: the tests fail, never skip.
 */
export async function runHvac(addr: string, token: string, pythonBody: string, options: HvacRunOptions = {}): Promise<unknown> {
  const python = options.python ?? DEBIAN_PYTHON;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    LANG: 'C.UTF-8',
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONIOENCODING: 'utf-8',
    // Loopback servers only: a proxy from the environment must never see test traffic.
    NO_PROXY: '*',
    no_proxy: '*',
    FERRY_HVAC_ADDR: addr,
    FERRY_HVAC_TOKEN: token,
  };
  const { code, stdout, stderr, spawnError } = await new Promise<{
    code: number | null;
    stdout: string;
    stderr: string;
    spawnError?: Error;
  }>((resolve) => {
    const child = spawn(python, ['-c', WRAPPER], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, stdout: out, stderr: err, spawnError: error });
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ code: exitCode, stdout: out, stderr: err });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(pythonBody);
  });
  if (spawnError !== undefined) {
    throw new Error(`cannot run ${python} (${spawnError.message}): ${INSTALL_HINT}`);
  }
  let parsed: WrapperOutput;
  try {
    parsed = JSON.parse(stdout) as WrapperOutput;
  } catch {
    throw new Error(`${python} exited with ${code} without a result; stderr:\n${stderr.slice(-4000)}`);
  }
  switch (parsed.kind) {
    case 'hvac-missing':
      throw new Error(`"import hvac" failed under ${python} (${parsed.detail ?? 'unknown error'}): ${INSTALL_HINT}`);
    case 'exception':
      throw new HvacError(parsed.class ?? 'Exception', parsed.message ?? '', parsed.errors ?? null);
    case 'ok':
      return parsed.result ?? null;
    default:
      throw new Error(`unexpected output from the hvac wrapper: ${stdout.slice(0, 500)}`);
  }
}
