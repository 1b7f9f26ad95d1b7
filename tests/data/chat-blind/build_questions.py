"""chat-blind's questions, written as chat-extra's are: run after make_exports.py (it looks up each answer's id).

Each answerable question: (id, question, strings its answer message holds, export, the answer's author, a
piece of the answer's text that finds it). The comment after each one names the asker and the raw lines (of
raw/<log>.raw.txt, counted from 0) of the question and of the answer. The questions were written by reading the
logs, before qabot was run on them.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent


def find(doc: str, author: str, text: str) -> dict:
    """The one message of ``doc`` by ``author`` that holds ``text``."""
    with open(HERE / "corpus" / doc, encoding="utf-8") as f:
        messages = json.load(f)["messages"]
    hits = [m for m in messages if m["author"]["name"] == author and text in m["content"]]
    assert len(hits) == 1, (doc, author, text, len(hits))
    return hits[0]


A, B, C = "ubuntu-2010-10-27.json", "ubuntu-2012-03-24.json", "ubuntu-2017-09-02.json"
Q = [
 # ubuntu-2010-10-27
 ("b01", "From a terminal, how can I see which default gateway my machine is using?", ["route -n", "ip route"], A, "erUSUL", "for gateaway you need"),  # asker: sympt0m, raw line 11 -> answer line 22
 ("b02", "A few days ago I downloaded something called BetterPrivacy and now I want it gone, but it isn't among my installed programs. Where do I remove it from?", ["add on"], A, "velko", "this is a browser add on"),  # asker: colin__, raw line 23 -> answer line 32
 ("b03", "I have Wine 1.3.5 from a PPA and need to go back to the 1.2 series, but pinning the exact version with apt-get still leaves me on 1.3.5. What should I install instead?", ["wine-1.2"], A, "TeruFSX", "install the wine-1.2 package"),  # asker: gasull, raw line 171 -> answer line 184
 ("b04", "How do I send a private message to just one person on IRC?", ["/query"], A, "YeTr2", "/query username message"),  # asker: Sean93, raw line 700 -> answer line 706
 ("b05", "Logged in to a box over SSH, how can I leave a program running in a session I can detach from and pick up again later?", ["ctrl-a then d", "screen <program>"], A, "arrrghhh", "then hit ctrl-a then d"),  # asker: EeveeTrainer, raw line 792 -> answer line 800
 ("b06", "Is there a free program for Linux that does what Dreamweaver does?", ["bluefish"], A, "gurpreet", "lookup bluefish"),  # asker: veritas_rho, raw line 1014 (again marckitos 1448) -> answer line 1017
 ("b07", "On my Dell laptop the top-row keys control brightness and volume unless I hold Fn. Can I make them act as plain F1 to F12 keys by default?", ["bios setting"], A, "gurpreet", "there is a bios setting in dell laptops"),  # asker: Maahes_, raw line 1199 -> answer line 1218
 ("b08", "Which command do I run in a shell to set a new password for my own account on Ubuntu 10.10?", ["passwd"], A, "TeruFSX", "passwd"),  # asker: woodyjlw, raw line 1267 -> answer line 1269 (the whole message is "passwd"; asker confirms at 1295)
 ("b09", "I'd like to run a caching web proxy on my Ubuntu machine. What software should I use?", ["squid"], A, "gurpreet", "have you tried squid"),  # asker: Terrance, raw line 1270 -> answer line 1281
 ("b10", "On Ubuntu 10.10, which Python is the default one, 2.x or 3?", ["2.6"], A, "trism", "python 2.6 is default"),  # asker: Draqul, raw line 1280 -> answer line 1284
 ("b11", "After upgrading to 10.10, choosing the newest kernel in the GRUB menu makes my monitor lose its signal. What can I add to the boot line to get in?", ["nomodeset"], A, "Jordan_U", 'add "nomodeset" after "quiet splash "'),  # asker: Tom1, raw line 1246 (newest kernel: 1279) -> answer line 1298 (works: 1434)
 ("b12", "In vim, what do I type to write the file and leave the editor?", [":wq"], A, "she_dyed", ":wq"),  # asker: Connor1, raw line 1370 -> answer line 1371
 ("b13", "Is there a Linux counterpart to ScanDisk that tests a drive for damaged sectors and keeps them from being used?", ["badblocks"], A, "gurpreet", "lookup badblocks"),  # asker: starn, raw line 1314 (again 1367) -> answer line 1399
 ("b14", "Which program gives me a GUI for rearranging the tables of an SQLite database?", ["SQLiteManager"], A, "shingen", "you mean like SQLiteManager"),  # asker: Karen_m, raw line 1308 -> answer line 1341
 # ubuntu-2012-03-24
 ("b15", "Which keyboard shortcut moves me from one workspace to the next?", ["ctrl alt arrow"], B, "bastidrazor", "ctrl alt arrow keys"),  # asker: tone_, raw line 39 -> answer line 44
 ("b16", "I downloaded an installer whose name ends in .run, and double-clicking it just opens it in the text editor. How do I launch it?", ["chmod +x"], B, "__Alex_", "chmod +x filename.run"),  # asker: weox, raw line 59 -> answer line 65
 ("b17", "With find I can list every directory called specs. How do I get the files inside those directories rather than the directories themselves?", ["xargs -IDIR find DIR"], B, "mirko1", "xargs -IDIR find DIR -type f"),  # asker: pickelsss, raw line 78 (again 81) -> answer line 82
 ("b18", "In a script, what's a dependable way to tell whether the machine it runs on is Ubuntu?", ["lsb_release"], B, "mirko1", "cespare: lsb_release -a"),  # asker: cespare, raw line 171 -> answer line 174
 ("b19", "alsamixer shows my sound card but PulseAudio doesn't see it. How can I check whether some other program is holding the sound device?", ["fuser /dev/snd"], B, "Seveas", "Try fuser /dev/snd/*"),  # asker: ccallahan, raw line 340 -> answer line 367
 ("b20", "What does it mean when a shell line starts with a lone dot followed by the path of a script?", ["current shell"], B, "Seveas", "read and execute this shell script in the current shell"),  # asker: angs, raw line 380 -> answer line 384
 ("b21", "Before calling add-apt-repository from a script, how can I tell whether that repository is already set up?", ["apt-cache policy"], B, "zykotic10", "apt-cache policy"),  # asker: cespare, raw line 972 -> answer line 977
 ("b22", "My AMD FX-8150 is rated at 3.6 GHz, but under Ubuntu 11.10 it runs at 2.6 GHz. Why is it being slowed down?", ["save power"], B, "Seveas", "to save power when you don't need"),  # asker: GhostConn, raw line 994 -> answer line 1001
 ("b23", "Is there a terminal tool that shows how much network bandwidth my cloud server is using?", ["bwm-ng"], B, "bastidrazor", "bwm-ng is a terminal program"),  # asker: nancy--, raw line 1014 -> answer line 1017
 ("b24", "After I booted a second Ubuntu from a USB disk, GRUB on my dual-boot machine can't detect a filesystem on my Ubuntu root partition. From a live USB, what do I run to repair that partition?", ["fsck"], B, "jimi_c", "@twig11: fsck.<fstype>"),  # asker: twig11, raw line 961 (again 997, 1059) -> answer line 1080 (next line: "so fsck.ext3 for an ext3 partition"; it worked: 1184)
 ("b25", "Turning off Wi-Fi power saving with iwconfig works, but the setting is gone after every reboot. Where do I put the command so it runs at startup?", ["rc.local"], B, "ActionParsnip", "add it in /etc/rc.local above the exit 0 line"),  # asker: maxflax, raw line 656 (again 675, 1175, 1186) -> answer line 1190
 ("b26", "Why bother checking the MD5 sum of an ISO I downloaded straight from the official Ubuntu site?", ["mangled in transit"], B, "ActionParsnip", "mangled in transit"),  # asker: infest, raw line 1272 -> answer line 1276
 ("b27", "Installing Ubuntu on a MacBook Pro keeps running into EFI trouble. What's the least painful way to install it?", ["+mac iso"], B, "Jordan_U", "and the +mac iso"),  # asker: FunGoat, raw line 1384 -> answer line 1388
 ("b28", "I removed multiarch from my 64-bit system. How can I list the i386 packages that are still installed?", ["grep :i386"], B, "Jordan_U", 'grep ii | grep :i386'),  # asker: DocPlatypus, raw line 1464 -> answer line 1472
 # ubuntu-2017-09-02
 ("b29", "Pidgin connects to IRC on my home Wi-Fi but not when I'm tethered to my phone's hotspot, although web and mail work there. What should I change in the IRC account?", ["6697"], C, "tomreyn", "port 6697 and to use SSL"),  # asker: smithmail, raw line 36 (details 40-54) -> answer line 64
 ("b30", "My laptop's built-in Ethernet turns out to be only 10/100. Can I swap it for a gigabit one?", ["USB network card"], C, "tgm4883", "You could get a USB network card"),  # asker: Ascavasaion, raw line 115 (swap: 127) -> answer line 129
 ("b31", "My laptop has tiny internal storage, so I keep /home on an SD card. Is that a sensible long-term setup?", ["limited write cycles"], C, "tomreyn", "sd cards have quite limited write cycles"),  # asker: ChaosD, raw line 143 (again 159) -> answer line 161
 ("b32", "How do I make the GRUB menu appear during boot so I can start an older kernel?", ["left shift"], C, "pavlos", "press the left shift"),  # asker: linuxnoob011, raw line 237 -> answer line 242
 ("b33", "My Android phone starts charging when I plug it into my Ubuntu 17.04 laptop, but nothing new appears in lsusb or dmesg. What should I check first?", ["data cable"], C, "ducasse", "using a data cable"),  # asker: vadi, raw line 808 -> answer line 809 (it was the cable: 813)
 ("b34", "I look after many servers, each with its own login name and password. How can I keep my SSH connections organised?", [".ssh/config"], C, "vlt", "The most important file for me is ~/.ssh/config"),  # asker: Dbugger, raw line 939 -> answer line 940
 ("b35", "After editing /etc/exports on my NFS server, which command makes the change take effect?", ["exportfs -a"], C, "akik", 'did you run "sudo exportfs -a"'),  # asker: blz, raw line 983 -> answer line 987 (blz's real problem was solved later by the `insecure` option, 1047-1052)
 ("b36", "How can I find out who has logged in to my machine over SSH?", ["auth.log"], C, "EriC^^", "see /var/log/auth.log"),  # asker: fdah, raw line 991 -> answer line 992
 ("b37", "From Ubuntu I can't save anything onto my Windows 10 partitions. What should I change on the Windows side?", ["fast start-up"], C, "akik", "did you change that fast start-up option"),  # asker: Hexal, raw line 1004 (again 1006) -> answer line 1007 (it worked: 1059)
 ("b38", "I blacklisted usb_storage so that desktop users can't mount USB drives, yet drives still get mounted. What else do I have to unload?", ["modprobe -r uas"], C, "EriC^^", "then try modprobe -r uas"),  # asker: CreativeWolf, raw line 1099 -> answer line 1121 (it worked: 1189, blacklisted too: 1194)
 ("b39", "A project's install notes give me a `deb http://...` repository line. Where do I put it so that apt uses it?", ["sources.list.d"], C, "EriC^^", "sudo tee /etc/apt/sources.list.d/rofi.list"),  # asker: keb_, raw line 1278 -> answer line 1279
 ("b40", "Can I move my 17.04 system to the 17.10 development release before it's out, and what command does that?", ["do-release-upgrade -d"], C, "EriC^^", "sudo do-release-upgrade -d"),  # asker: fuser, raw line 1282 -> answer line 1290 (EriC^^ first said no, 1284, then corrected himself, 1288)
 ("b41", "I already boot all my systems with LILO. How do I run the Ubuntu installer so it doesn't write its own boot loader?", ["--no-bootloader"], C, "ioria", "sudo ubiquity --no-bootloader"),  # asker: hackedhead, raw line 1299 -> answer line 1302
 ("b42", "grub-install on my LVM disk fails with 'core.img is unusually large ... embedding is required for LVM'. What did I probably get wrong when I partitioned?", ["1MB space"], C, "lordcirth", "leave a 1MB space before your partitions"),  # asker: hackedhead, raw line 1472 -> answer line 1475
]
UNANSWERABLE = [
 ("bu01", "How do I grow an LVM logical volume and the ext4 filesystem on it with lvextend and resize2fs?"),  # LVM comes up (2017); absent from the logs: lvextend, resize2fs
 ("bu02", "How do I have an NFS share mounted on demand with autofs instead of a line in fstab?"),  # NFS and fstab come up; absent: autofs
 ("bu03", "How do I make a VirtualBox .vdi disk image bigger with VBoxManage modifyhd?"),  # vdi files come up (2010, unanswered); absent: vboxmanage, modifyhd
 ("bu04", "How can I install an APK on my Android phone from Ubuntu using adb?"),  # Android phones come up (2017); absent: adb, apk
 ("bu05", "How do I give my user a Samba password with smbpasswd so Windows machines can log in to my share?"),  # Samba comes up; absent: smbpasswd
 ("bu06", "How do I let my normal user run docker commands without sudo?"),  # LXD containers come up (2017); absent: docker
 ("bu07", "How do I generate an ed25519 SSH key and put it on my server with ssh-copy-id?"),  # SSH keys come up (2017); absent: ed25519, ssh-copy-id, keygen
 ("bu08", "How do I back up my home folder to an external drive with BorgBackup?"),  # backups with rsync come up (2017); absent: borg
]


def main() -> None:
    lines = []
    for qid, q, answers, doc, author, text in Q:
        message = find(doc, author, text)
        for a in answers:  # each gold string is in the answer and not given away by the question
            assert a.lower() in message["content"].lower(), (qid, a)
            assert a.lower() not in q.lower(), (qid, a)
        lines.append({"id": qid, "question": q, "answers": answers, "docs": [doc], "answer_message_id": message["id"]})
    lines += [{"id": qid, "question": q, "answers": [], "docs": []} for qid, q in UNANSWERABLE]
    assert len({line["id"] for line in lines}) == len(lines)
    with open(HERE / "questions.jsonl", "w", encoding="utf-8") as out:
        out.writelines(json.dumps(line) + "\n" for line in lines)


if __name__ == "__main__":
    main()
