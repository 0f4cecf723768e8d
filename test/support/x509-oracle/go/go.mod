module csrbot.test/x509-oracle

go 1.26
