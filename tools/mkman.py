#!/usr/bin/env python3
"""Generates the man pages from the one place each text lives.

  mkman.py cmd BIN VERSION > stsenv.1     from `BIN --help` and each
                                          subcommand's --help (cli/args.c)
  mkman.py preload README VERSION [LIBDIR] > stsenv.7
                                          from the README's sections on the
                                          names, sources, freshness rules,
                                          variables and delivery paths

So --help, the README and the man pages cannot drift apart. Only a small
subset of Markdown is needed: headings, paragraphs, lists, tables, code
blocks, `code` and **bold**.
"""
import re
import subprocess
import sys

DATE = "2026-12-01"
SECTIONS_7 = ["Names served", "Sources", "Freshness rules", "Variables",
              "What each kind of program sees", "How it works"]


def esc(text):
    """Escapes text for roff; a line may not start with . or '."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    text = "".join(c if ord(c) < 128 else "\\[u%04X]" % ord(c) for c in text)
    return re.sub(r"^([.'])", r"\\&\1", text, flags=re.M)


def inline(text):
    text = esc(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"\\fB\1\\fR", text)
    return re.sub(r"`([^`]+)`", r"\\fB\1\\fR", text)


def header(section, title):
    return ['.TH STSENV %s "%s" "stsenv %s" "%s"' % (section, DATE, VERSION, title)]


def cmd_page(binary):
    def helptext(*args):
        return subprocess.run([binary, *args, "--help"], check=True, capture_output=True,
                              text=True).stdout
    main = helptext().split("\n")
    n = 0
    while n < len(main) and main[n].startswith(("usage: ", "       ")):
        n += 1
    usage, rest = main[:n], main[n:]
    while rest and not rest[0].strip():
        rest = rest[1:]
    out = header(1, "User Commands")
    out += [".SH NAME", "stsenv \\- run programs with fresh Alibaba Cloud STS credentials",
            ".SH SYNOPSIS", ".nf"]
    out += [esc(re.sub(r"^(usage: |       )", "", l)) for l in usage]
    out += [".fi", ".SH DESCRIPTION", ".nf"] + [esc(l) for l in rest] + [".fi"]
    for sub in ("exec", "env", "status"):
        out += [".SH \"%s\"" % sub.upper(), ".nf"]
        out += [esc(l) for l in helptext(sub).rstrip("\n").split("\n")] + [".fi"]
    out += [".SH SEE ALSO", "\\fBstsenv\\fR(7) for the preload, the sources and every "
            "variable; the README in the documentation directory."]
    return out


def readme_sections(path):
    """The README by "## " section; "" is the introduction under the title."""
    sections, name = {"": []}, ""
    for line in open(path, encoding="utf-8").read().split("\n"):
        m = re.match(r"^## (.+)$", line)
        if m:
            name = m.group(1)
            sections[name] = []
        elif not line.startswith("# "):
            sections[name].append(line)
    return sections


def table(rows):
    """A Markdown table as tagged paragraphs: first cell the tag."""
    def cells_of(row):  # "\\|" is a | inside a cell
        return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", row.strip()[1:-1])]
    out = []
    head = cells_of(rows[0])
    for row in rows[2:]:
        cells = cells_of(row)
        out += [".TP", inline(cells[0])]
        out.append(inline("; ".join("%s: %s" % (h, c) for h, c in zip(head[1:], cells[1:]) if c)))
    return out


def markdown(lines):
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            out += [".PP", ".nf", ".RS 4"] + [esc(l) for l in lines[i + 1:j]] + [".RE", ".fi"]
            i = j + 1
        elif line.startswith("|"):
            j = i
            while j < len(lines) and lines[j].startswith("|"):
                j += 1
            out += table(lines[i:j])
            i = j
        elif re.match(r"^\s*([-*]|\d+\.) ", line):
            item = [re.sub(r"^\s*([-*]|\d+\.) ", "", line)]
            i += 1
            while i < len(lines) and lines[i].startswith("  ") and lines[i].strip():
                item.append(lines[i].strip())
                i += 1
            out += [".IP \\(bu 2", inline(" ".join(item))]
        elif line.startswith("### "):
            out += [".SS \"%s\"" % line[4:]]
            i += 1
        elif not line.strip():
            i += 1
        else:
            para = []
            while i < len(lines) and lines[i].strip() and not re.match(
                    r"^(\s*([-*]|\d+\.) |\||```|#)", lines[i]):
                para.append(lines[i].strip())
                i += 1
            out += [".PP", inline(" ".join(para))]
    return out


def preload_page(readme, libdir):
    sections = readme_sections(readme)
    out = header(7, "Miscellaneous")
    out += [".SH NAME", "stsenv \\- the libstsenv.so preload, its sources and variables",
            ".SH SYNOPSIS", ".nf", "stsenv \\-\\- COMMAND [ARG...]",
            esc("LD_PRELOAD=%s/libstsenv.so COMMAND [ARG...]" % libdir), ".fi",
            ".SH DESCRIPTION"]
    out += markdown(sections[""])
    for name in SECTIONS_7:
        out += [".SH \"%s\"" % name.upper()] + markdown(sections[name])
    out += [".SH SEE ALSO", "\\fBstsenv\\fR(1)"]
    return out


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5) or sys.argv[1] not in ("cmd", "preload"):
        sys.exit(__doc__)
    VERSION = sys.argv[3]
    if sys.argv[1] == "cmd":
        page = cmd_page(sys.argv[2])
    else:
        page = preload_page(sys.argv[2], sys.argv[4] if len(sys.argv) > 4 else "/usr/lib/stsenv")
    sys.stdout.write("\n".join(page) + "\n")
