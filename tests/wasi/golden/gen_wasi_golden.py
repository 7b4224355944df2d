#!/usr/bin/env python3
"""Flattens the WASI 0.2.x WIT of the interfaces actr implements into one line per function and
per named type, so a test can compare what actr::wasi registers against the published WIT.

Usage: gen_wasi_golden.py <WebAssembly/WASI git dir> <tag, e.g. v0.2.0> > wasi-0.2.0.txt

Output lines (sorted):
  func <interface@version>#<import name>: func(<name>: <type>, ...) [-> <type>]
  type <name> = <definition>
  resource <interface@version>#<name>
Type spelling: primitives and anonymous types in WIT syntax; aliases resolved to what they
name; records, variants, enums and flags by name; resources as own<R> / borrow<R>.
Items marked @unstable are left out (hosts need not provide them).
"""
import re
import subprocess
import sys

PACKAGES = ["cli", "io", "clocks", "random", "filesystem"]
INTERFACES = {
    "cli": ["environment", "exit", "stdin", "stdout", "stderr", "terminal-input",
            "terminal-output", "terminal-stdin", "terminal-stdout", "terminal-stderr"],
    "io": ["error", "poll", "streams"],
    "clocks": ["wall-clock", "monotonic-clock"],
    "random": ["random", "insecure", "insecure-seed"],
    "filesystem": ["types", "preopens"],
}
PRIMITIVES = {"bool", "s8", "u8", "s16", "u16", "s32", "u32", "s64", "u64", "f32", "f64",
              "char", "string"}

TOKEN = re.compile(r"\s+|//[^\n]*|(->|[{}()<>,;:.=@/*_]|%?[a-z][a-z0-9-]*|[0-9]+(?:\.[0-9]+)*)")


def tokenize(text):
    pos, out = 0, []
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise SystemExit(f"cannot tokenize at {text[pos:pos + 40]!r}")
        if m.group(1):
            out.append(m.group(1))
        pos = m.end()
    return out


class Parser:
    def __init__(self, tokens):
        self.t, self.i = tokens, 0

    def peek(self, k=0):
        return self.t[self.i + k] if self.i + k < len(self.t) else None

    def take(self, expect=None):
        tok = self.t[self.i]
        if expect is not None and tok != expect:
            raise SystemExit(f"expected {expect!r}, got {tok!r} near {self.t[self.i - 5:self.i + 5]}")
        self.i += 1
        return tok

    def name(self):
        return self.take().lstrip("%")

    def gate(self):
        """Parses @since/@unstable/@deprecated gates; returns True when the item is unstable."""
        unstable = False
        while self.peek() == "@":
            self.take("@")
            kind = self.take()
            depth = 0
            while True:
                tok = self.take()
                depth += tok == "("
                depth -= tok == ")"
                if depth == 0:
                    break
            unstable |= kind == "unstable"
        return unstable

    def type_(self):
        head = self.name()
        if head in ("list", "option", "own", "borrow"):
            self.take("<")
            inner = self.type_()
            self.take(">")
            return (head, inner)
        if head == "tuple":
            self.take("<")
            items = [self.type_()]
            while self.peek() == ",":
                self.take(",")
                items.append(self.type_())
            self.take(">")
            return ("tuple", items)
        if head == "result":
            if self.peek() != "<":
                return ("result", None, None)
            self.take("<")
            ok = None if self.peek() == "_" else self.type_()
            if ok is None:
                self.take("_")
            err = None
            if self.peek() == ",":
                self.take(",")
                err = self.type_()
            self.take(">")
            return ("result", ok, err)
        return ("ref", head)

    def params(self):
        self.take("(")
        out = []
        while self.peek() != ")":
            n = self.name()
            self.take(":")
            out.append((n, self.type_()))
            if self.peek() == ",":
                self.take(",")
        self.take(")")
        return out

    def functype(self):
        self.take("func")
        params = self.params()
        result = None
        if self.peek() == "->":
            self.take("->")
            result = self.type_()
        return params, result


def parse_interface_body(p, iface):
    """Returns dict with uses, types (name -> def), funcs (import name -> (params, result))."""
    uses, types, funcs, resources = [], {}, {}, []
    p.take("{")
    while p.peek() != "}":
        unstable = p.gate()
        kw = p.take()
        if kw == "use":
            path = []
            while p.peek() != ".":
                path.append(p.take())
            p.take(".")
            p.take("{")
            names = []
            while p.peek() != "}":
                names.append(p.name())
                if p.peek() == "as":
                    raise SystemExit("`use ... as` not supported")
                if p.peek() == ",":
                    p.take(",")
            p.take("}")
            p.take(";")
            uses.append(("".join(path), names))
        elif kw == "type":
            n = p.name()
            p.take("=")
            t = p.type_()
            p.take(";")
            types[n] = ("alias", t)
        elif kw in ("enum", "flags"):
            n = p.name()
            p.take("{")
            cases = []
            while p.peek() != "}":
                cases.append(p.name())
                if p.peek() == ",":
                    p.take(",")
            p.take("}")
            types[n] = (kw, cases)
        elif kw in ("record", "variant"):
            n = p.name()
            p.take("{")
            items = []
            while p.peek() != "}":
                c = p.name()
                t = None
                if kw == "record":
                    p.take(":")
                    t = p.type_()
                elif p.peek() == "(":
                    p.take("(")
                    t = p.type_()
                    p.take(")")
                items.append((c, t))
                if p.peek() == ",":
                    p.take(",")
            p.take("}")
            types[n] = (kw, items)
        elif kw == "resource":
            r = p.name()
            types[r] = ("resource", iface)
            resources.append(r)
            if p.peek() == ";":
                p.take(";")
                continue
            p.take("{")
            while p.peek() != "}":
                m_unstable = p.gate()
                if p.peek() == "constructor":
                    p.take("constructor")
                    params = p.params()
                    p.take(";")
                    if not m_unstable:
                        funcs[f"[constructor]{r}"] = (params, ("own", ("ref", r)))
                    continue
                m = p.name()
                p.take(":")
                static = p.peek() == "static"
                if static:
                    p.take("static")
                params, result = p.functype()
                p.take(";")
                if m_unstable:
                    continue
                if static:
                    funcs[f"[static]{r}.{m}"] = (params, result)
                else:
                    funcs[f"[method]{r}.{m}"] = ([("self", ("borrow", ("ref", r)))] + params,
                                                 result)
            p.take("}")
        else:
            n = kw.lstrip("%")
            p.take(":")
            params, result = p.functype()
            p.take(";")
            if not unstable:
                funcs[n] = (params, result)
    p.take("}")
    return {"uses": uses, "types": types, "funcs": funcs, "resources": resources}


def parse_file(text):
    p = Parser(tokenize(text))
    out = {}
    while p.peek() is not None:
        unstable = p.gate()
        kw = p.take()
        if kw == "package":
            while p.take() != ";":
                pass
        elif kw == "interface":
            n = p.name()
            body = parse_interface_body(p, n)
            if not unstable:
                out[n] = body
        elif kw == "world":
            p.name()
            depth = 0
            while True:
                tok = p.take()
                depth += tok == "{"
                depth -= tok == "}"
                if depth == 0:
                    break
        else:
            raise SystemExit(f"unexpected top-level {kw!r}")
    return out


def load(repo, tag):
    files = subprocess.run(["git", "-C", repo, "ls-tree", "-r", "--name-only", tag],
                           capture_output=True, text=True, check=True).stdout.split()
    version = tag.lstrip("v")
    ifaces = {}
    for pkg in PACKAGES:
        pat = re.compile(rf"^(preview2|wasip2|proposals)/{pkg}/(wit/)?[a-z-]+\.wit$")
        for f in files:
            if pat.match(f):
                text = subprocess.run(["git", "-C", repo, "show", f"{tag}:{f}"],
                                      capture_output=True, text=True, check=True).stdout
                for name, body in parse_file(text).items():
                    ifaces[f"wasi:{pkg}/{name}@{version}"] = body
    return ifaces, version


def main():
    repo, tag = sys.argv[1], sys.argv[2]
    ifaces, version = load(repo, tag)

    def resolve_use(iface_full, path):
        pkg = iface_full.split("/")[0]
        if ":" not in path:
            return f"{pkg}/{path}@{version}"
        return re.sub(r"@[0-9.]+$", "", path) + f"@{version}"

    def lookup(iface_full, name, seen=()):
        body = ifaces[iface_full]
        if name in body["types"]:
            return iface_full, body["types"][name]
        for path, names in body["uses"]:
            if name in names:
                return lookup(resolve_use(iface_full, path), name)
        raise SystemExit(f"unknown type {name} in {iface_full}")

    named = {}

    def spell(iface_full, t):
        kind = t[0]
        if kind == "ref":
            if t[1] in PRIMITIVES:
                return t[1]
            where, d = lookup(iface_full, t[1])
            if d[0] == "alias":
                return spell(where, d[1])
            if d[0] == "resource":
                return f"own<{t[1]}>"
            if t[1] not in named:
                named[t[1]] = None
                named[t[1]] = define(where, d)
            return t[1]
        if kind in ("own", "borrow"):
            inner = spell(iface_full, t[1])
            return f"{kind}<{inner[4:-1] if inner.startswith('own<') else inner}>"
        if kind in ("list", "option"):
            return f"{kind}<{spell(iface_full, t[1])}>"
        if kind == "tuple":
            return "tuple<" + ", ".join(spell(iface_full, x) for x in t[1]) + ">"
        if kind == "result":
            ok, err = t[1], t[2]
            if ok is None and err is None:
                return "result"
            if err is None:
                return f"result<{spell(iface_full, ok)}>"
            return f"result<{'_' if ok is None else spell(iface_full, ok)}, {spell(iface_full, err)}>"
        raise SystemExit(f"bad type {t}")

    def define(where, d):
        kind = d[0]
        if kind in ("enum", "flags"):
            return f"{kind} {{ " + ", ".join(d[1]) + " }"
        if kind == "record":
            return "record { " + ", ".join(f"{n}: {spell(where, t)}" for n, t in d[1]) + " }"
        if kind == "variant":
            return "variant { " + ", ".join(
                n if t is None else f"{n}({spell(where, t)})" for n, t in d[1]) + " }"
        raise SystemExit(f"cannot define {d}")

    lines = []
    for iface_full, body in ifaces.items():
        pkg_iface = iface_full.split("@")[0]
        pkg, name = pkg_iface.split(":")[1].split("/")
        if name not in INTERFACES.get(pkg, []):
            continue
        for r in body["resources"]:
            lines.append(f"resource {iface_full}#{r}")
        for fname, (params, result) in body["funcs"].items():
            sig = "func(" + ", ".join(f"{n}: {spell(iface_full, t)}" for n, t in params) + ")"
            if result is not None:
                sig += f" -> {spell(iface_full, result)}"
            lines.append(f"func {iface_full}#{fname}: {sig}")
    for n, d in named.items():
        lines.append(f"type {n} = {d}")
    print("\n".join(sorted(lines)))


if __name__ == "__main__":
    main()
