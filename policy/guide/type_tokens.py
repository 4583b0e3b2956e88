"""Pulumi type tokens: the one list of the resource and data-source types this project renders,
reads or checks, and the component's own type.

Pure, like the rest of guide/ (the policy pack ships a copy). aws.alb.*
registers aws:alb/... tokens for the same AWS resources as aws.lb.*: checks that read load
balancers, listeners or target groups take both (the tuples below).
"""

COMPONENT = "pypiserver:index:PypiServer"
STACK = "pulumi:pulumi:Stack"

# --- compute -------------------------------------------------------------------------------
ASG = "aws:autoscaling/group:Group"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
EC2_INSTANCE = "aws:ec2/instance:Instance"
ECS_CLUSTER = "aws:ecs/cluster:Cluster"
ECS_CLUSTER_CAPACITY_PROVIDERS = "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"
ECS_CAPACITY_PROVIDER = "aws:ecs/capacityProvider:CapacityProvider"
ECS_SERVICE = "aws:ecs/service:Service"
ECS_TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SCALING_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"

# --- network -------------------------------------------------------------------------------
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
EIP = "aws:ec2/eip:Eip"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
TRANSIT_GATEWAY = "aws:ec2transitgateway/transitGateway:TransitGateway"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SECURITY_GROUP_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"

# --- edge ----------------------------------------------------------------------------------
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
ALB_LOAD_BALANCER = "aws:alb/loadBalancer:LoadBalancer"
ALB_LISTENER = "aws:alb/listener:Listener"
ALB_TARGET_GROUP = "aws:alb/targetGroup:TargetGroup"
LOAD_BALANCERS = (LOAD_BALANCER, ALB_LOAD_BALANCER)
LISTENERS = (LISTENER, ALB_LISTENER)
TARGET_GROUPS = (TARGET_GROUP, ALB_TARGET_GROUP)
ACM_CERTIFICATE = "aws:acm/certificate:Certificate"
ACM_CERTIFICATE_VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
ROUTE53_RECORD = "aws:route53/record:Record"

# --- storage and state ---------------------------------------------------------------------
EFS_FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
EFS_MOUNT_TARGET = "aws:efs/mountTarget:MountTarget"
EFS_ACCESS_POINT = "aws:efs/accessPoint:AccessPoint"
EFS_FILE_SYSTEM_POLICY = "aws:efs/fileSystemPolicy:FileSystemPolicy"
EFS_BACKUP_POLICY = "aws:efs/backupPolicy:BackupPolicy"
BACKUP_VAULT = "aws:backup/vault:Vault"
BACKUP_PLAN = "aws:backup/plan:Plan"
BACKUP_SELECTION = "aws:backup/selection:Selection"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOG_METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
# The load balancer's access-log bucket and its settings.
S3_BUCKET = "aws:s3/bucket:Bucket"
S3_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
S3_ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
S3_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
S3_BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"

# --- identity and observability ------------------------------------------------------------
IAM_ROLE = "aws:iam/role:Role"
IAM_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
IAM_INSTANCE_PROFILE = "aws:iam/instanceProfile:InstanceProfile"
KMS_KEY = "aws:kms/key:Key"
SNS_TOPIC = "aws:sns/topic:Topic"
SNS_TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SNS_TOPIC_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"

# --- data sources (invokes) ----------------------------------------------------------------
GET_INSTANCE_TYPE = "aws:ec2/getInstanceType:getInstanceType"
GET_VPC = "aws:ec2/getVpc:getVpc"
GET_SUBNET = "aws:ec2/getSubnet:getSubnet"
GET_SUBNETS = "aws:ec2/getSubnets:getSubnets"
GET_ROUTE_TABLE = "aws:ec2/getRouteTable:getRouteTable"
GET_PREFIX_LIST = "aws:ec2/getPrefixList:getPrefixList"
GET_VPC_ENDPOINT = "aws:ec2/getVpcEndpoint:getVpcEndpoint"
GET_SSM_PARAMETER = "aws:ssm/getParameter:getParameter"
GET_ZONE = "aws:route53/getZone:getZone"
GET_REGION = "aws:index/getRegion:getRegion"
GET_PARTITION = "aws:index/getPartition:getPartition"
GET_CALLER_IDENTITY = "aws:index/getCallerIdentity:getCallerIdentity"
GET_AVAILABILITY_ZONES = "aws:index/getAvailabilityZones:getAvailabilityZones"
