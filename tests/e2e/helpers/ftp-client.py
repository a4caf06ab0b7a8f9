"""One FTP control connection from a chosen loopback source address, with login attempts.

usage: ftp-client.py PORT SOURCE_IP JSON_ATTEMPTS
  JSON_ATTEMPTS is a list of [user, password] pairs tried in order on the same connection.
Prints one JSON object: {"banner": "<first reply or error>", "replies": ["<reply to each login>", ...]}.
Argument vectors only: user names may contain anything an attacker types.
"""
import ftplib
import json
import sys

port = int(sys.argv[1])
source = sys.argv[2]
attempts = json.loads(sys.argv[3])
result = {"banner": "", "replies": []}
ftp = ftplib.FTP()
try:
    # A refused client (mod_wrap2) gets "530 Access denied" instead of the 220 banner, which
    # ftplib raises as error_perm.
    result["banner"] = ftp.connect("127.0.0.1", port, timeout=15, source_address=(source, 0))
except ftplib.all_errors as e:
    result["banner"] = str(e) or type(e).__name__
    print(json.dumps(result))
    sys.exit(0)
for user, password in attempts:
    try:
        result["replies"].append(ftp.login(user, password))
    except ftplib.error_perm as e:
        result["replies"].append(str(e))
    except (EOFError, OSError, ftplib.Error) as e:
        # the server hung up (MaxLoginAttempts) or the connection broke
        result["replies"].append("closed: " + (str(e) or type(e).__name__))
        break
try:
    ftp.quit()
except ftplib.all_errors:
    ftp.close()
print(json.dumps(result))
