"""chat-extra's questions, written as chat-dev's are: run after make_exports.py (it looks up each answer's id).

Each answerable question: (id, question, strings its answer message holds, export, the answer's author, a
piece of the answer's text that finds it).
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent


def find(doc: str, author: str, text: str) -> str:
    """The id of the one message of ``doc`` by ``author`` that holds ``text``."""
    with open(HERE / "corpus" / doc, encoding="utf-8") as f:
        messages = json.load(f)["messages"]
    hits = [m for m in messages if m["author"]["name"] == author and text in m["content"]]
    assert len(hits) == 1, (doc, author, text, len(hits))
    return hits[0]["id"]


A, B = "ubuntu-2013-08-29.json", "ubuntu-2017-03-02.json"
Q = [
 ("x01", "In a shell command line, what does the 2>&1 at the end do?", ["stderr to stdout"], A, "MindSpark", "redirects stderr to stdout"),
 ("x02", "Skype left a defunct process whose parent is PID 1. Is there any way to kill a zombie like that?", ["you can't"], A, "gordonjcp", "ese: you can't"),
 ("x03", "With a umask of 0002 my new files get rw-rw-r-- and not rwxrwxr-x. Is something wrong?", ["EXEC bit isn't set by default"], A, "timfrost", "EXEC bit"),
 ("x04", "How can I make a package's configure script hand an extra define to every gcc call it makes?", ["CFLAGS"], A, "timfrost", "CFLAGS"),
 ("x05", "Is there a simple way to see which packages and daemons are installed on an Ubuntu machine?", ["dpkg -l"], A, "ikonia", "karab44: dpkg -l"),
 ("x06", "What is GPA, which I can't find as a package?", ["Gnu Privacy Assistant"], A, "smaudet", "GPA is Gnu Privacy Assistant"),
 ("x07", "A desktop daemon crashes with a popup after every login. What's a quick way to rule out a broken cache in my home folder?", [".cache-old"], A, "MindSpark", "then mv .cache .cache-old"),
 ("x08", "Files created in a shared directory should get the directory's group rather than my own. What makes that happen?", ["setgid"], A, "MindSpark", "then the setgid bit is set on the parent dir"),
 ("x09", "Am I breaking the law if I use the Medibuntu repository?", ["legal gray area"], A, "smaudet", "legend321: legal gray area"),
 ("x10", "How much memory should a machine have for Ubuntu 13.04?", ["2 GB"], A, "smaudet", "at least 2 GB ram"),
 ("x11", "On a systemd desktop my screen session is killed a few seconds after the SSH connection that started it closes. How should I launch screen so it survives?", ["systemd-run --scope --user screen"], B, "akik", "systemd-run --scope --user screen"),
 ("x12", "Which logind setting keeps a user's processes running after they log out?", ["KillUserProcesses=no"], B, "k1l_", "KillUserProcesses=no"),
 ("x13", "What does SRU mean when people talk about Ubuntu package updates?", ["stable release update"], B, "k1l_", "stable release update"),
 ("x14", "Which key is the super key?", ["windows"], B, "ikevin", "windows"),
 ("x15", "When I save terminal output to a file I get junk like ^[[01;34m in it. What is that?", ["Color codes"], B, "jink", "Color codes"),
 ("x16", "I installed the OpenVPN module but network-manager still offers no VPN option. What else do I need?", ["network-manager-openvpn-gnome"], B, "hateball", "network-manager-openvpn-gnome"),
 ("x17", "Which key combination opens the run-a-command box on the desktop?", ["alt+f2"], B, "k1l_", "alt+f2"),
 ("x18", "I'd like a newer fail2ban than the one in the Ubuntu archive. Can I get it updated there?", ["launchpad.net"], B, "k1l_", "file a bug or request on launchpad.net"),
 ("x19", "Plasma on Kubuntu 16.04 keeps crashing after login. Where do I get a more stable Plasma?", ["kubuntu backports PPA"], B, "hateball", "kubuntu backports PPA"),
]
UNANSWERABLE = [
 ("x20", "How do I build a RAID 5 array from three disks with mdadm?"),
 ("x21", "How do I change how long the GRUB menu waits before booting?"),
 ("x22", "Which Python version comes with Ubuntu 18.04?"),
]


def main() -> None:
    lines = [{"id": qid, "question": q, "answers": answers, "docs": [doc], "answer_message_id": find(doc, author, text)}
             for qid, q, answers, doc, author, text in Q]
    lines += [{"id": qid, "question": q, "answers": [], "docs": []} for qid, q in UNANSWERABLE]
    with open(HERE / "questions.jsonl", "w", encoding="utf-8") as out:
        out.writelines(json.dumps(line) + "\n" for line in lines)


if __name__ == "__main__":
    main()
