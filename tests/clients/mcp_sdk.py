"""A scripted assistant: the official MCP Python SDK (`mcp` on PyPI) asks `normsctl mcp` the
questions of issue 17 and asserts the answers' citation fields.

    python3 mcp_sdk.py NORMSCTL HANDBOOK ACKS_HANDBOOK EPOCH ACKS_EPOCH

HANDBOOK is the in-force issue's scripted history (first-response time 60, then 45 from
2025-03-17, then 30 from 2026-12-07), served at EPOCH (Unix seconds) with SOURCE_DATE_EPOCH;
ACKS_HANDBOOK a handbook whose git user.email is bo's, who acknowledged `stepping-away`
revision 1 before revision 2 landed, served with --acks at ACKS_EPOCH. Exits 0 when every
assertion holds; prints what it checked.
"""

import asyncio
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def structured(result):
    """The structured content of a tool result, whatever the SDK calls the field."""
    for name in ("structured_content", "structuredContent"):
        value = getattr(result, name, None)
        if value is not None:
            return value
    raise AssertionError(f"no structured content in {result!r}")


def is_error(result):
    return bool(getattr(result, "is_error", None) or getattr(result, "isError", None))


async def session_for(binary, folder, epoch, *args):
    env = dict(os.environ)
    env["SOURCE_DATE_EPOCH"] = str(epoch)
    params = StdioServerParameters(
        command=binary, args=["mcp", "--no-watch", *args], env=env, cwd=folder
    )
    return stdio_client(params)


async def public(binary, folder, epoch):
    async with await session_for(binary, folder, epoch) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            assert init.serverInfo.name == "normsctl" if hasattr(init, "serverInfo") else init.server_info.name == "normsctl"
            tools = {t.name for t in (await session.list_tools()).tools}
            assert tools == {"search_policies", "get_policy", "what_applies", "changes", "diff"}, tools
            assert "acknowledgements" not in tools

            resources = (await session.list_resources()).resources
            uris = {str(r.uri) for r in resources}
            assert "normsctl://policy/first-response-time" in uris, uris
            read_back = await session.read_resource("normsctl://policy/first-response-time")
            text = read_back.contents[0].text
            assert "Reply within 45 minutes." in text, text

            # "What is the first-response target, and since when?" (today)
            today = structured(await session.call_tool("get_policy", {"id": "first-response-time"}))
            cite = today["citation"]
            assert today["standing"] == "in_force", today
            assert cite["revision"] == 2, cite
            assert cite["in_force_from"] == "2025-03-16T23:00:00Z", cite
            assert cite["landed"] == "2025-03-12T09:00:00Z", cite
            assert len(cite["commit"]) == 40 and len(cite["blob"]) == 40, cite
            assert cite["page"] == "policies/first-response-time.html", cite
            assert "value: 45" in today["text"], today["text"]
            assert today["upcoming"]["revision"] == 3, today
            assert today["upcoming"]["in_force_from"] == "2026-12-06T23:00:00Z", today
            assert today["served"]["commit"] == cite["commit"] or len(today["served"]["commit"]) == 40
            print("today: revision", cite["revision"], "in force from", cite["in_force_from"], "commit", cite["commit"])

            # "What applied on the day of the incident?" (2025-06-01)
            then = structured(await session.call_tool("get_policy", {"id": "first-response-time", "at": "2025-06-01"}))
            assert then["citation"]["revision"] == 2, then
            assert then["citation"]["commit"] == cite["commit"], then
            print("2025-06-01: revision", then["citation"]["revision"], "commit", then["citation"]["commit"])
            early = structured(await session.call_tool("get_policy", {"id": "first-response-time", "at": "2025-03-14"}))
            assert early["citation"]["revision"] == 1, early

            # "What applies to team tier1?" and to the agents
            team = structured(await session.call_tool("what_applies", {"team": "tier1"}))
            assert [p["id"] for p in team["policies"]["norm"]] == ["stepping-away"], team
            assert team["policies"]["norm"][0]["citation"]["revision"] == 1, team
            assert team["policies"]["metric"] == [], team
            agents = structured(await session.call_tool("what_applies", {"role": "agent"}))
            metric = agents["policies"]["metric"][0]
            assert metric["target"] == "median at most 45 minutes, each week", metric
            print("tier1:", [p["id"] for p in team["policies"]["norm"]], "agents:", metric["target"])

            # a wrong id is a tool error with a hint, not a protocol error
            wrong = await session.call_tool("get_policy", {"id": "first-respons-time"})
            assert is_error(wrong), wrong
            assert structured(wrong)["hint"] == "did you mean `first-response-time`?", wrong


async def acks(binary, folder, epoch):
    async with await session_for(binary, folder, epoch, "--acks") as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = {t.name for t in (await session.list_tools()).tools}
            assert "acknowledgements" in tools, tools
            owed = structured(await session.call_tool("acknowledgements", {}))
            assert owed["person"] == "bo", owed
            step = next(o for o in owed["to_acknowledge"] if o["policy"] == "stepping-away")
            assert step["revision"] == 2 and step["last_acknowledged_revision"] == 1, step
            assert step["diff"]["from"]["revision"] == 1 and step["diff"]["to"]["revision"] == 2, step
            inserted = "".join(c["text"] for c in step["diff"]["body"] if c["op"] == "insert")
            assert "your lead" in inserted, step["diff"]
            print("bo must acknowledge stepping-away revision 2 (read revision 1); added:", inserted.strip())
            other = await session.call_tool("acknowledgements", {"person": "ana"})
            assert is_error(other), other


async def main():
    binary, folder, acks_folder, epoch, acks_epoch = sys.argv[1:6]
    await public(binary, folder, epoch)
    await acks(binary, acks_folder, acks_epoch)
    print("ok")


if __name__ == "__main__":
    asyncio.run(main())
