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
C, D, E = "ubuntu-2011-11-24.json", "ubuntu-2015-05-08.json", "ubuntu-2017-07-15.json"
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
 ("x23", 'What exactly happens when I run `sudo chown -R volition:volition /var/www`?', ['owner and the group'], C, 'theadmin', 'Sets the owner and the group'),  # asker: harsh343, raw line 48 -> answer line 54
 ("x24", 'I installed a package by hand with dpkg and now I want to get rid of it again. Which command uninstalls it?', ['dpkg -r'], C, 'llutz', 'faminegod: sudo dpkg -r'),  # asker: faminegod, raw line 154 -> answer line 157
 ("x25", "In the terminal I can't seem to get anywhere outside my home folder. How do I move into the directory where installed programs' executables live?", ['cd /usr/bin'], C, 'void_', 'cd /usr/bin'),  # asker: DeadKings, raw line 179 -> answer line 180 (answer does not address the asker)
 ("x26", "I installed the crafty chess engine from the repositories, but it doesn't show up anywhere and I need the path of its binary for a server. How can I see which files the package installed and where they went?", ['dpkg -L'], C, 'nebajoth', 'dpkg -L crafty (at command line)'),  # asker: DeadKings, raw line 159 (first asked; again at 217, 321) -> answer line 324
 ("x27", "Every login I'm asked for the password of the login keyring. Which program can I use to change that keyring so it stops prompting me?", ['seahorse'], C, 'theadmin', 'Just use seahorse'),  # asker: TK5791, raw line 332 (again at 367) -> answer line 371
 ("x28", 'Is there a way, from the command line, to search for a word inside all the files of a folder and its subfolders?', ['grep -R'], C, 'ActionParsnip', 'grep -R search /path/to/folder'),  # asker: void_, raw line 536 -> answer line 540 (addressed with a misspelt nick, "void-or")
 ("x29", "I'm running `find -cmin +10 -iname *.mov` to pick up .mov files that haven't been modified for ten minutes. Is that the right test to use?", ['-mmin'], C, 'llutz', 'rather -mmin than -cmin'),  # asker: Sorikan, raw line 528 (again at 647) -> answer line 652
 ("x30", "My machine has ten internal hard drives and their /dev/sdX names get shuffled on every reboot. How should I refer to them so that doesn't matter?", ['UUID', 'LABELS'], C, 'zykotick9', 'use UUID or LABELS'),  # asker: |Long|, raw line 799 -> answer line 803
 ("x31", 'An app filled a folder with files named like -1437238629.dat and rm fails with "invalid option" when I try to delete them. How do I remove them?', ['rm -- -*'], C, 'llutz', 'shomon: rm -- -*'),  # asker: shomon, raw line 864 -> answer line 878
 ("x32", 'While installing updates on Ubuntu 10.04 I keep being asked to insert a disk labelled Ubuntu 11.10 Oneiric Ocelot. How do I make it stop asking for that disc?', ['Software Sources', 'remove the CD'], C, 'lunitik', 'remove the CD as a source'),  # asker: Guest483, raw line 911 -> answer line 915
 ("x33", 'Which lightweight program with a GUI can I use to cut a single drum hit out of a longer ogg sample?', ['audacity'], C, 'llutz', 'dddbmt: audacity'),  # asker: dddbmt, raw line 1009 (GUI needed: 1021) -> answer line 1023
 ("x34", 'Someone gave me a monitor configuration snippet for my ATI Radeon 9550 on Ubuntu 11.10 and told me to paste it into a file somewhere under X11, but I forgot which file. Which one is it?', ['xorg.conf'], C, 'genii-around', 'The file would /etc/X11/xorg.conf'),  # asker: nightwalkerkg, raw line 1134 (again at 1170) -> answer line 1172
 ("x35", 'How do I change my full name as shown on the login screen, not the login name itself?', ['User Settings'], C, 'zykotick9', 'someonesomeoneel,  does 11.10'),  # asker: someonesomeoneel, raw line 1136 (again at 1213) -> answer line 1221
 ("x36", "I installed mysql-server with apt-get but it never asked me to set a root password, so I can't log into the database. How do I get that password prompt back?", ['mysql-server-5.1'], C, 'mercury1', 'Did you try sudo dpkg-reconfigure'),  # asker: file_, raw line 1358 -> answer line 1373
 ("x40", 'When I SSH into my server, the login banner says "System information disabled due to load higher than 4.0". What does that mean?', ['MOTD', 'message of the day'], D, 'daftykins', 'so the MOTD (message of the day) did not execute'),  # asker: philip_, raw line 40 (again 115) -> answer line 116
 ("x41", 'From a terminal, how can I list the sound playback devices my Ubuntu machine has?', ['aplay -l'], D, 'Nexususus', "you could just do 'aplay -l'"),  # asker: binarywork, raw line 118 -> answer line 139
 ("x42", "I'd rather reinstall Ubuntu cleanly than upgrade, but I don't want to lose my personal settings every time. How should I lay out my disk so future reinstalls are painless?", ['/home on its own partition'], D, 'awktion', 'moving forward put /home on its own partition'),  # asker: abdel, raw line 160 (again 176) -> answer line 200
 ("x43", 'From an Ubuntu live USB on my Windows 8 laptop, mounting the Windows drive fails with "The NTFS partition is in an unsafe state. Please resume and shutdown Windows fully". How do I get Windows 8 to really shut down?', ['shutdown /s /t 0'], D, 'daftykins', 'windows key + R'),  # asker: lxiref (later lsftex), raw line 42 -> answer line 197
 ("x44", 'On 14.04 the Software Center refuses to install anything: "Software can\'t be installed or removed because the authentication service is not available (org.freedesktop.PolicyKit.Error.Failed ...)". Is this a known bug, and where is it reported?', ['1411895', '+source/policykit-1'], D, 'ki7mt', 'there is / was a bug in 14.04'),  # asker: pwpul, raw line 225 -> answer line 344
 ("x45", 'My VPS instructions want me to create a TUN device with tunctl for OpenVPN, but apt on vivid has no package called tunctl. Which package do I install to get it?', ['uml-utilities'], D, 'daftykins', 'install uml-utilities'),  # asker: Voyage, raw line 475 (again 482) -> answer line 496
 ("x46", 'On my laptop with hybrid Intel/NVIDIA graphics, Bumblebee fails with "[ERROR]Cannot access secondary GPU - error: Could not load GPU driver". What should I be using instead?', ['nvidia-prime'], D, 'daftykins', 'bumblebee is the old way'),  # asker: mahdi_ja, raw line 738 -> answer line 786
 ("x47", "I'm imaging an SD card with `sudo dd bs=4M if=/dev/sdb | gzip > image.gz`. What does the bs=4M part actually do?", ['block size', '4 MB chunks'], D, 'TomyWork', 'with a block size of 4MB'),  # asker: lsfret, raw line 829 -> answer line 844
 ("x48", "I want to keep an eye on my CPU temperature in a terminal, but the sensors command doesn't exist. What do I need to install?", ['lm-sensors'], D, 'MonkeyDust', 'install lm-sensors'),  # asker: lsfret, raw line 892 (again 901) -> answer line 905
 ("x49", 'My screen went black after resume with the nvidia driver, so I ran sudo startx. Now every time I log in I see the nVidia logo and get dropped back to the login screen. How do I repair my account?', ['chown -R'], D, 'daftykins', 'sudo chown -R dwayne'),  # asker: m0r0n, raw line 942 -> answer line 992
 ("x50", 'A friend\'s new desktop with a brand-new Crucial SSD keeps throwing errors like "bash: /usr/bin/sudo: Input/output error" and now won\'t boot, yet the SMART values look fine. What should we check before replacing the drive?', ['SATA port', 'cable'], D, 'daftykins', "i'd change SATA port"),  # asker: jchmrt, raw line 408 (again 973) -> answer line 1003
 ("x51", 'How can an Ubuntu guest in VirtualBox use the webcam that is plugged into the host computer?', ['passthrough', 'virtualbox.org/manual/ch09'], D, 'ki7mt', 'webcam passthrough may help'),  # asker: jeffreylevesque, raw line 1012 -> answer line 1020
 ("x52", 'Using SSH, how do I pull an entire folder from a remote machine into a backup folder on my own computer?', ['rsync -avz'], D, 'ki7mt', 'rsync -avz $user@ip-address'),  # asker: fgrew, raw line 1113 -> answer line 1120
 ("x53", "Roughly how much memory does a small Ubuntu Server 14.04 box use when it's only running one or two services?", ['650 MB'], D, 'ki7mt', 'it sits right at 650 MB'),  # asker: JustSighDudes, raw line 1354 -> answer line 1371
 ("x57", "I'm on Ubuntu 16.04 and want to get to 17.04. What command do I run for the upgrade, and can I jump straight there?", ['do-release-upgrade', 'to 16.10'], E, 'oerheks_', 'sudo do-release-upgrade'),  # asker: Hulio, raw line 99 -> answer line 101
 ("x58", 'I need to know whether POST requests actually reach my Ubuntu 16.04 server. Is there a log or tool that shows incoming connections as they arrive?', ['tcpdump'], E, 'mutante', 'to see live connections'),  # asker: kingarmadillo, raw line 119/132 -> answer line 133
 ("x59", "NVIDIA's own installer for my GT 430 says the nouveau driver must be disabled first. How do I stop nouveau from loading?", ['blacklist-nouveau.conf'], E, 'm4dh4tt4', 'sudo nano /etc/modprobe.d/'),  # asker: Shawn|i7-720QM, raw line 185 (again 226) -> answer line 234
 ("x60", "On Ubuntu 17.04 a 'system error, do you want to send a report?' popup keeps appearing. Rather than just hiding it, where can I read what actually crashed?", ['/var/crash'], E, 'oerheks_', 'sudo cat /var/crash'),  # asker: yokowka, raw line 246 (repeated 260, 313) -> answer line 333
 ("x61", 'My Xenial desktop runs PulseAudio. Which command-line tool do I use to control it, the way alsamixer works for ALSA?', ['pactl'], E, 'ducasse', 'pactl'),  # asker: alias_neo, raw line 462 -> answer line 466
 ("x62", "setxkbmap has no effect on the text console I get with Ctrl+Alt+F1. How do I switch that console's keyboard layout to German?", ['loadkeys de'], E, 'tomreyn', 'try: loadkeys de'),  # asker: IhrFussel, raw line 613 -> answer line 614
 ("x63", "I've been toggling options like Sync to VBlank in nvidia-settings. If I make a mess of it, how do I get back to the default settings?", ['.nvidia-settings-rc'], E, 'glitsj16', 'you can start afresh'),  # asker: dbugger, raw line 727/732 -> answer line 742
 ("x64", 'Is the ureadahead service something my system needs, or can I switch it off?', ['only relevant during boot', 'disable/remove it'], E, 'glitsj16', 'only relevant during boot'),  # asker: smusiland, raw line 791 -> answer line 811
 ("x65", 'My it87 sensor module (for Ryzen CPU temperatures) works after I load it by hand with modprobe, but it is gone after every reboot. Which file should I list it in so it loads at startup?', ['/etc/modules'], E, 'EriC^^', 'no the file /etc/modules'),  # asker: thyriaen, raw line 922 -> answer line 952
 ("x66", 'After updating Kubuntu 14.04 my network tray applet disappeared and Synaptic finds nothing called nm-applet. Which package is it actually in?', ['network-manager-gnome'], E, 'glitsj16', 'nm-applet is part of'),  # asker: adroit_machine, raw line 1035 (nm-applet at 1142) -> answer line 1146
 ("x67", 'On a headless 14.04 box I want an IPython notebook server that needs root to start automatically at boot. Where do I put the command, and do I need to prefix it with sudo?', ['rc.local', 'runs as root'], E, 'ducasse', "don't need sudo for"),  # asker: Beliq, raw line 1201 (sudo question 1222) -> answer line 1223
 ("x68", "Postfix can't deliver to a Maildir: 'Permission denied' creating a file in Maildir/tmp. The directory is drwx-w---- owned by www-data and a shared group that postfix and my user belong to. What permission change does it need?", ['chmod g+rx'], E, 'mutante', 'toothfairy_: chmod g'),  # asker: toothfairy_, raw line 1266/1269 -> answer line 1271
 ("x69", "After an update my NVIDIA machine boots to a black screen. I had installed the driver with NVIDIA's .run file. From a root shell in recovery mode, how do I remove that driver and go back to the open-source one?", ['--uninstall', 'xserver-xorg-video-nouveau'], E, 'sary', '--uninstall'),  # asker: Melissa_McC, raw line 1352 (.run files found 1398) -> answer line 1416
 ("x70", "I'm setting up a second 16.04 machine and want it to end up with exactly the packages installed on this one. What's a good way to copy the package selection across?", ['apt-clone'], E, 'oerheks_', 'is a nice way'),  # asker: electricmilk, raw line 1494 -> answer line 1495
]
UNANSWERABLE = [
 ("x20", "How do I build a RAID 5 array from three disks with mdadm?"),
 ("x21", "How do I change how long the GRUB menu waits before booting?"),
 ("x22", "Which Python version comes with Ubuntu 18.04?"),
 ("x37", 'How do I make WeeChat join my favourite channels automatically every time it connects to a server?'),  # absent from the log: weechat
 ("x38", 'How do I encrypt an external hard drive with LUKS using cryptsetup?'),  # absent from the log: luks, cryptsetup
 ("x39", 'How can I schedule a nightly mysqldump of all the databases on my MySQL server?'),  # absent from the log: mysqldump
 ("x54", 'How do I set up a site-to-site IPsec VPN with strongSwan on my Ubuntu server?'),  # absent from the log: strongswan, ipsec
 ("x56", 'How can I test whether a cheap SD card is counterfeit, with less real capacity than it claims, using f3write and f3probe?'),  # absent from the log: counterfeit, f3write, f3probe
 ("x71", 'My Bluetooth headphones connect, but PulseAudio only offers the low-quality headset mode. How do I switch them to the A2DP profile?'),  # absent from the log: bluetooth, a2dp
 ("x72", 'Instead of a swap file, how do I set up compressed swap in RAM with zram on Ubuntu?'),  # absent from the log: zram
 ("x73", 'How do I open port 8080 in the ufw firewall on Ubuntu?'),  # absent from the log: ufw, 8080
]


def main() -> None:
    lines = [{"id": qid, "question": q, "answers": answers, "docs": [doc], "answer_message_id": find(doc, author, text)}
             for qid, q, answers, doc, author, text in Q]
    lines += [{"id": qid, "question": q, "answers": [], "docs": []} for qid, q in UNANSWERABLE]
    with open(HERE / "questions.jsonl", "w", encoding="utf-8") as out:
        out.writelines(json.dumps(line) + "\n" for line in lines)


if __name__ == "__main__":
    main()
