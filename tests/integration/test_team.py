"""The simulator's team state: Web API lists with cursors, rtm.start, the
/_sim/team changes and their RTM events, presence over the socket."""

import harness
from harness import RtmSocket, SimTestCase


def all_pages(sim, method, key, **params):
    """Follows next_cursor to the end; returns the items and the pages."""
    items, pages, cursor = [], 0, ""
    while True:
        answer = sim.api(method, dict(params, cursor=cursor))
        assert answer["ok"], answer
        items += answer[key]
        pages += 1
        cursor = answer["response_metadata"]["next_cursor"]
        if cursor == "":
            return items, pages


class ListTest(SimTestCase):

    sim_args = ("--users=30", "--channels=150")

    def test_conversations_list_pages_with_cursors(self):
        first = self.sim.api("conversations.list")
        # Default: public channels only, 100 a page.
        self.assertEqual(len(first["channels"]), 100)
        self.assertNotEqual(first["response_metadata"]["next_cursor"], "")
        self.assertTrue(all(c["is_channel"] for c in first["channels"]))
        channels, pages = all_pages(self.sim, "conversations.list",
                                    "channels", limit=7)
        ids = [c["id"] for c in channels]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertEqual(ids[:4], ["C0GENERAL", "C0RANDOM", "C0DEV",
                                   "C0ARCHIVE"])
        self.assertEqual(len(ids), 4 + 150)
        self.assertEqual(pages, -(-154 // 7))

    def test_types_and_exclude_archived(self):
        everything, _ = all_pages(
            self.sim, "conversations.list", "channels",
            types="public_channel,private_channel,mpim,im",
            exclude_archived="true")
        ids = [c["id"] for c in everything]
        self.assertNotIn("C0ARCHIVE", ids)
        for expected in ("G0PRIVATE", "G0MPIM0001", "D0USER001", "C0GEN00150"):
            self.assertIn(expected, ids)
        private = self.sim.api("conversations.list",
                               {"types": "private_channel,im"})["channels"]
        self.assertEqual([c["id"] for c in private],
                         ["G0PRIVATE", "D0USER001", "D0ALICE01"])
        self.assertTrue(private[0]["is_private"] and private[0]["is_group"])
        self.assertEqual(private[1]["user"], "U0USER001")
        self.assertEqual(self.sim.api("conversations.list",
                                      {"types": "nonsense"})["error"],
                         "invalid_types")
        self.assertEqual(self.sim.api("conversations.list",
                                      {"cursor": "bm9wZQ=="})["error"],
                         "invalid_cursor")

    def test_users_list_and_info(self):
        everyone = self.sim.api("users.list")
        self.assertEqual(everyone["response_metadata"]["next_cursor"], "")
        members, pages = all_pages(self.sim, "users.list", "members",
                                   limit=10)
        self.assertEqual(members, everyone["members"])
        self.assertEqual(pages, -(-len(members) // 10))
        by_id = {u["id"]: u for u in members}
        self.assertTrue(by_id["U0BOT0001"]["is_bot"])
        self.assertEqual(by_id["U0BOT0001"]["profile"]["bot_id"], "B0BOT0001")
        self.assertEqual(by_id["U0USER001"]["team_id"], "T0SIM0001")
        self.assertTrue(by_id["U0DAVE"]["deleted"])
        self.assertIn("U0GEN00030", by_id)
        alice = self.sim.api("users.info", {"user": "U0ALICE"})["user"]
        self.assertEqual(alice["name"], "alice")
        self.assertEqual(self.sim.api("users.info", {"user": "U0NOBODY"}),
                         {"ok": False, "error": "user_not_found"})

    def test_info_join_and_team(self):
        general = self.sim.api("conversations.info",
                               {"channel": "C0GENERAL"})["channel"]
        self.assertEqual(general["name"], "general")
        self.assertTrue(general["is_general"] and general["is_member"])
        self.assertEqual(self.sim.api("conversations.info",
                                      {"channel": "C0NONE"})["error"],
                         "channel_not_found")
        team = self.sim.api("team.info")["team"]
        self.assertEqual((team["id"], team["name"], team["domain"]),
                         ("T0SIM0001", "Simulated", "sim"))
        rtm = RtmSocket(self.sim)
        self.addCleanup(rtm.close)
        joined = self.sim.api("conversations.join", {"channel": "C0GEN00001"})
        self.assertTrue(joined["channel"]["is_member"])
        event = rtm.events(1, 5)[0]
        self.assertEqual(event["type"], "channel_joined")
        self.assertIn("U0BOT0001", event["channel"]["members"])
        again = self.sim.api("conversations.join", {"channel": "C0GEN00001"})
        self.assertEqual(again["warning"], "already_in_channel")
        self.assertEqual(self.sim.api("conversations.join",
                                      {"channel": "C0ARCHIVE"})["error"],
                         "is_archived")

    def test_rtm_start_returns_the_team_state(self):
        start = self.sim.api("rtm.start")
        self.assertTrue(start["url"].startswith("ws://"))
        self.assertEqual(start["self"]["id"], "U0BOT0001")
        self.assertEqual(start["team"]["id"], "T0SIM0001")
        self.assertEqual(len(start["users"]), 7 + 30)
        self.assertEqual(len(start["channels"]), 4 + 150)
        self.assertEqual([g["id"] for g in start["groups"]], ["G0PRIVATE"])
        self.assertEqual([m["id"] for m in start["mpims"]], ["G0MPIM0001"])
        self.assertEqual([i["id"] for i in start["ims"]],
                         ["D0USER001", "D0ALICE01"])
        self.assertIn("U0BOT0001", start["channels"][0]["members"])
        connect = self.sim.api("rtm.connect")
        self.assertNotIn("users", connect)


class ChangeTest(SimTestCase):

    def setUp(self):
        super().setUp()
        self.rtm = RtmSocket(self.sim)
        self.addCleanup(self.rtm.close)

    def change(self, **body):
        answer = self.sim.post("team", body)
        self.assertTrue(answer["ok"], answer)
        self.assertEqual(answer["delivered"], len(answer["events"]))
        self.assertEqual(self.rtm.events(len(answer["events"]), 5),
                         answer["events"])
        return answer

    def channel(self, id):
        return self.sim.api("conversations.info", {"channel": id})

    def test_channel_lifecycle_events_and_state(self):
        made = self.change(action="channel_created", name="launch",
                           user="U0ALICE")
        cid = made["channel"]["id"]
        self.assertEqual(made["events"][0],
                         {"type": "channel_created",
                          "channel": {"id": cid, "name": "launch",
                                      "created": made["channel"]["created"],
                                      "creator": "U0ALICE"}})
        self.assertFalse(self.channel(cid)["channel"]["is_member"])

        renamed = self.change(action="channel_rename", channel=cid,
                              name="launch-day")
        self.assertEqual(renamed["events"][0]["type"], "channel_rename")
        self.assertEqual(renamed["events"][0]["channel"]["name"], "launch-day")
        self.assertEqual(self.channel(cid)["channel"]["previous_names"],
                         ["launch"])

        joined = self.change(action="channel_joined", channel=cid)
        self.assertEqual(joined["events"][0]["channel"]["members"],
                         ["U0ALICE", "U0BOT0001"])
        self.assertTrue(self.channel(cid)["channel"]["is_member"])

        member = self.change(action="member_joined_channel", channel=cid,
                             user="U0BOB", inviter="U0ALICE")
        self.assertEqual(member["events"][0],
                         {"type": "member_joined_channel", "user": "U0BOB",
                          "channel": cid, "channel_type": "C",
                          "team": "T0SIM0001", "inviter": "U0ALICE"})

        archived = self.change(action="channel_archive", channel=cid,
                               user="U0ALICE")
        self.assertEqual(archived["events"][0],
                         {"type": "channel_archive", "channel": cid,
                          "user": "U0ALICE"})
        listed = self.sim.api("conversations.list",
                              {"exclude_archived": "1"})["channels"]
        self.assertNotIn(cid, [c["id"] for c in listed])
        self.change(action="channel_unarchive", channel=cid)
        left = self.change(action="channel_left", channel=cid)
        self.assertEqual(left["events"][0],
                         {"type": "channel_left", "channel": cid})
        deleted = self.change(action="channel_deleted", channel=cid)
        self.assertEqual(deleted["events"][0],
                         {"type": "channel_deleted", "channel": cid})
        self.assertEqual(self.channel(cid)["error"], "channel_not_found")

    def test_private_channels_use_group_events(self):
        made = self.change(action="channel_created", name="hush",
                           is_private=True)
        gid = made["channel"]["id"]
        self.assertTrue(gid.startswith("G"))
        self.assertEqual(made["events"][0]["type"], "group_joined")
        renamed = self.change(action="channel_rename", channel=gid,
                              name="hushhush")
        self.assertEqual(renamed["events"][0]["type"], "group_rename")
        left = self.change(action="channel_left", channel=gid)
        self.assertEqual(left["events"][0],
                         {"type": "group_left", "channel": gid})
        listed = self.sim.api("conversations.list",
                              {"types": "private_channel"})["channels"]
        self.assertEqual([c["id"] for c in listed], ["G0PRIVATE"])

    def test_users_and_ims(self):
        joined = self.change(action="team_join",
                             user={"name": "erin", "real_name": "Erin Ek"})
        uid = joined["user"]["id"]
        self.assertEqual(joined["events"][0]["type"], "team_join")
        self.assertEqual(joined["events"][0]["user"]["profile"]["real_name"],
                         "Erin Ek")
        changed = self.change(action="user_change",
                              user={"id": uid,
                                    "profile": {"status_text": "away"}})
        self.assertEqual(changed["events"][0]["user"]["profile"]["status_text"],
                         "away")
        self.assertEqual(
            self.sim.api("users.info", {"user": uid})["user"]["profile"]
            ["status_text"], "away")
        im = self.change(action="im_created", user=uid)
        self.assertEqual(im["events"][0]["type"], "im_created")
        self.assertEqual(im["events"][0]["user"], uid)
        ims = self.sim.api("conversations.list", {"types": "im"})["channels"]
        self.assertIn(im["channel"]["id"], [c["id"] for c in ims])

    def test_bad_changes_are_refused_without_events(self):
        for body, error in (
                ({"action": "channel_created", "name": "general"},
                 "name_taken"),
                ({"action": "channel_rename", "channel": "C0NONE",
                  "name": "x"}, "channel_not_found"),
                ({"action": "channel_deleted", "channel": "C0GENERAL"},
                 "cant_delete_general"),
                ({"action": "channel_joined", "channel": "C0GENERAL"},
                 "already_in_channel"),
                ({"action": "channel_archive", "channel": "D0USER001"},
                 "method_not_supported_for_channel_type"),
                ({"action": "explode"}, "invalid_arguments")):
            with self.assertRaises(Exception) as caught:
                self.sim.post("team", body)
            self.assertEqual(caught.exception.code, 400)
            self.assertEqual(caught.exception.read().decode().count(error), 1,
                             body)
        self.assertIsNone(self.rtm.recv(0.2))


class PresenceTest(SimTestCase):

    def test_subscription_query_and_batches(self):
        single = RtmSocket(self.sim)
        batch = RtmSocket(self.sim, batch_presence_aware="1")
        self.addCleanup(single.close)
        self.addCleanup(batch.close)
        single.send({"type": "presence_sub", "ids": ["U0ALICE"]})
        batch.send({"type": "presence_sub", "ids": ["U0ALICE", "U0CAROL"]})
        # A query answers at once, in each socket's shape; it also proves
        # the subscription before it was processed.
        single.send({"type": "presence_query", "ids": ["U0BOB", "U0NONE"]})
        self.assertEqual(single.events(1, 5),
                         [{"type": "presence_change", "user": "U0BOB",
                           "presence": "away"}])
        batch.send({"type": "presence_query",
                    "ids": ["U0ALICE", "U0BOB", "U0CAROL"]})
        self.assertEqual(batch.events(2, 5),
                         [{"type": "presence_change",
                           "users": ["U0ALICE", "U0CAROL"],
                           "presence": "active"},
                          {"type": "presence_change", "users": ["U0BOB"],
                           "presence": "away"}])

        answer = self.sim.post("presence", {"users": ["U0ALICE", "U0CAROL"],
                                            "presence": "away"})
        self.assertEqual(answer["delivered"], 2)
        self.assertEqual(single.events(1, 5),
                         [{"type": "presence_change", "user": "U0ALICE",
                           "presence": "away"}])
        self.assertEqual(batch.events(1, 5),
                         [{"type": "presence_change",
                           "users": ["U0ALICE", "U0CAROL"],
                           "presence": "away"}])
        # No change, no event; a new subscription replaces the old one.
        self.assertEqual(self.sim.post("presence", {"user": "U0ALICE",
                                                    "presence": "away"})
                         ["delivered"], 0)
        single.send({"type": "presence_sub", "ids": ["U0BOB"]})
        single.send({"type": "presence_query", "ids": ["U0BOB"]})
        single.events(1, 5)
        self.sim.post("presence", {"user": "U0ALICE", "presence": "active"})
        self.sim.post("presence", {"user": "U0BOB", "presence": "active"})
        self.assertEqual(single.events(1, 5),
                         [{"type": "presence_change", "user": "U0BOB",
                           "presence": "active"}])
        self.assertIsNone(single.recv(0.2))
        calls = self.sim.calls("rtm.connect")
        self.assertEqual(calls[1]["params"], {"batch_presence_aware": "1"})


if __name__ == "__main__":
    harness.main()
