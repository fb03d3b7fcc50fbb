-- Reserved: schema step 5 belongs to another branch of issue 10. This file
-- only keeps the steps numbered without gaps on the webhooks branch; delete
-- it when merging with the branch that brings the real step 5.
SELECT 1;
