-- imsupport as an external component (XEP-0114) of Prosody.
--
-- Tested against the Prosody 0.12 series, which Debian 12 ships. To see which
-- version you run, use `prosodyctl about` (the first lines print it; there is
-- no `prosody --version`).
--
-- Where the pieces go in /etc/prosody/prosody.cfg.lua:
--   1. the component_ports / component_interfaces lines belong to the GLOBAL
--      section, i.e. above the first VirtualHost or Component line;
--   2. the Component block goes at the end of the file (or into
--      /etc/prosody/conf.d/imsupport.cfg.lua, which Debian includes).
-- Then `prosodyctl check config` and `systemctl reload prosody`.


---------- global section ----------

-- The port imsupport connects to: [xmpp] port in imsupport.toml. 5347 is
-- Prosody's default; the line only makes it explicit.
component_ports = { 5347 }

-- Components are a private service: Prosody 0.12 listens for them on the
-- loopback interfaces (127.0.0.1 and ::1) unless told otherwise. Keep it that
-- way when imsupport runs on the same machine ([xmpp] host = "127.0.0.1");
-- list another local address only if imsupport runs elsewhere, and then
-- firewall the port. (Prosody before 0.12 also read the singular
-- component_interface = "127.0.0.1".)
component_interfaces = { "127.0.0.1" }


---------- operators and clients ----------

-- Operators and XMPP clients are ordinary users with ordinary accounts on the
-- main VirtualHost (or on any other XMPP server that federates with this one).
-- imsupport does not create accounts: make them as usual, e.g.
--     prosodyctl adduser ivan@shop.example
-- and list the operators' bare JIDs under [[operators]] in imsupport.toml.
-- The component domain below must NOT also be a VirtualHost.
--
-- VirtualHost "shop.example"


---------- the component ----------

-- The name is [service] domain in imsupport.toml; node addresses
-- (sales@support.shop.example) and chat addresses (sales+17@...) live under it.
Component "support.shop.example"
    -- Must equal [xmpp] secret in imsupport.toml. Use a long random string,
    -- e.g. `openssl rand -base64 32`, and keep both files unreadable to others.
    component_secret = "component-secret"

-- Users of OTHER servers (and gateways such as Slidge or Biboumi hosted
-- elsewhere) reach support.shop.example over server-to-server links. For that
-- the domain needs DNS (an A/AAAA record or an _xmpp-server._tcp SRV record
-- pointing at this Prosody) and a certificate that covers it, e.g.
--     prosodyctl --root cert import /etc/letsencrypt/live
-- Users of this server's own VirtualHosts need neither.
