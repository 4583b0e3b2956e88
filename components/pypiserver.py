"""The PypiServer component: a complete, sized pypiserver deployment from one config."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from guide.type_tokens import COMPONENT
from task.spec import HEALTH_PATH

from . import compute, edge, iam, names, network, observability, service, storage, trusted_publishing, users
from .config import PypiServerConfig


class PypiServer(pulumi.ComponentResource):
    """pypiserver on ECS (EC2 capacity provider) with packages on EFS behind an ALB.

    Logical names depend only on `name`, never on the instance type or profile, so
    resizing keeps every resource's URN (identity) and nothing stateful is replaced.
    """

    url: pulumi.Output[str]
    """Where pip and twine reach the index."""
    credentials_secret_arn: pulumi.Output[str]
    """The first publisher's secret (Secrets Manager, {username, password, ...}) for twine;
    `user_secret_arns` has every user's."""
    user_secret_arns: dict[str, pulumi.Output[str]]
    capacity: dict[str, Any]
    """The sizing guide's capacity math for this stack (known at preview time)."""

    def __init__(
        self, name: str, config: PypiServerConfig, region: str, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _check_names(name)
        super().__init__(COMPONENT, name, None, opts)
        self._name, self._cfg, self._region = name, config, region
        self._tags = {"Service": "pypiserver", "Stack": pulumi.get_stack(), "ManagedBy": "pulumi", **config.tags}

        self.placement = self._network()
        self.security_groups = self._security_groups()
        self.endpoints = self._interface_endpoints()
        self.cluster = self._cluster()
        self.storage = self._storage()
        self.credentials = self._credentials()
        self.user_secret_arns = self.credentials.secret_arns
        self.signing_key = self._signing_key()
        self.roles = self._iam()
        self.compute = self._compute()
        self.edge = self._edge()
        self.service = self._service()
        self.observability = self._observability()

        self.url = self.edge.url
        self.credentials_secret_arn = self.user_secret_arns[next(u.name for u in config.users if u.publishes)]
        self.capacity = config.capacity_summary()
        self.monthly_cost_usd = config.monthly_cost.total
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, Any]:
        built = self.placement.built
        return {
            "url": self.url,
            "albDnsName": self.edge.load_balancer.dns_name,
            "loadBalancerArn": self.edge.load_balancer.arn,
            "targetGroupArn": self.edge.target_group.arn,
            "efsId": self.storage.file_system.id,
            "clusterName": self.cluster.name,
            "serviceName": self.service.service.name,
            "serviceArn": self.service.service.id,
            "asgName": self.compute.auto_scaling_group.name,
            "credentialsSecretArn": self.credentials_secret_arn,
            # Who may read every user's secret: the stack's secretReaders (the task reads its bundles).
            "credentialsSecretReaders": list(self._cfg.secret_readers),
            # Each user's secret, and who may read it (its and the stack's readers).
            "userSecretArns": self.user_secret_arns,
            "userSecretReaders": {u.name: users.secret_readers(self._cfg, u) for u in self._cfg.users},
            "accessLogBucket": self.edge.access_log_bucket.bucket if self.edge.access_log_bucket else None,
            "alarmTopicArn": self.observability.topic.arn,
            "dashboardUrl": self.observability.dashboard_url,
            "vpcId": self.placement.vpc_id,
            "instanceSubnetIds": self.placement.instance_subnet_ids,
            "loadBalancerSubnetIds": self.placement.load_balancer_subnet_ids,
            "natGatewayIds": [n.id for n in built.nat_gateways] if built else [],
            # What CI jobs' identity tokens must name (GitLab: the <AUD>_ID_TOKEN variable).
            "oidcAudience": self._cfg.trusted_publishing.audience_for(pulumi.get_stack())
            if self._cfg.trusted_publishing
            else None,
            "capacity": self.capacity,
            "monthlyCostUsd": self.monthly_cost_usd,
        }

    # -- one helper per AWS concern ---------------------------------------------------

    def _network(self) -> network.NetworkPlacement:
        return network.placement(self._name, self._cfg, self._region, self, self._tags)

    def _interface_endpoints(self) -> list[aws.ec2.VpcEndpoint]:
        if not self._cfg.vpc_endpoints:
            return []
        return network.interface_endpoints(
            self._name, self.placement, self.security_groups.instances, self._region, self, self._tags
        )

    def _security_groups(self) -> network.SecurityGroups:
        return network.security_groups(self._name, self._cfg, self.placement, self, self._tags)

    def _cluster(self) -> aws.ecs.Cluster:
        return compute.cluster(self._name, self, self._tags)

    def _storage(self) -> storage.Storage:
        return storage.file_system(self._name, self._cfg, self.placement, self.security_groups.efs, self, self._tags)

    def _credentials(self) -> users.Credentials:
        return users.credentials(self._name, self._cfg, self._region, self, self._tags)

    def _signing_key(self) -> trusted_publishing.SigningKey | None:
        if self._cfg.trusted_publishing is None:
            return None
        return trusted_publishing.signing_key(self._name, self, self._tags)

    def _iam(self) -> iam.Roles:
        key = [self.signing_key.secret.arn] if self.signing_key else []
        roles = iam.roles(
            self._name,
            self.storage.file_system.arn,
            self.storage.access_point.arn,
            [*self.credentials.bundle_arns, *key],
            self._cfg.image_registry,
            self,
            self._tags,
        )
        if self.signing_key is not None:
            trusted_publishing.restrict_readers(self._name, self.signing_key, roles.execution)
        return roles

    def _compute(self) -> compute.Compute:
        return compute.instances(
            self._name,
            self._cfg,
            self.placement,
            self.cluster,
            self.security_groups.instances,
            self.roles.instance_profile,
            self,
            self._tags,
        )

    def _edge(self) -> edge.Edge:
        return edge.load_balancer(
            self._name,
            self._cfg,
            self.placement,
            self.security_groups.load_balancer,
            HEALTH_PATH,
            self,
            self._tags,
            self._region,
        )

    def _service(self) -> service.Service:
        return service.service(
            self._name,
            self._cfg,
            self._region,
            cluster=self.cluster,
            capacity_provider=self.compute.capacity_provider,
            ready=[
                self.compute.cluster_capacity_providers,
                *self.edge.listeners,
                *self.storage.mount_targets,
                *self.endpoints,
                *(self.placement.built.nat_gateways if self.placement.built else []),
            ],
            file_system_id=self.storage.file_system.id,
            access_point_id=self.storage.access_point.id,
            bundle_arns=self.credentials.bundle_arns,
            bundle_versions=self.credentials.bundle_versions,
            signing_key=self.signing_key,
            execution_role=self.roles.execution,
            task_role=self.roles.task,
            target_group=self.edge.target_group,
            parent=self,
            tags=self._tags,
        )

    def _observability(self) -> observability.Observability:
        return observability.monitoring(
            self._name,
            self._cfg,
            self._region,
            file_system_id=self.storage.file_system.id,
            cluster_name=self.cluster.name,
            service_name=self.service.service.name,
            load_balancer_arn_suffix=self.edge.load_balancer.arn_suffix,
            target_group_arn_suffix=self.edge.target_group.arn_suffix,
            log_group_name=self.service.log_group.name,
            parent=self,
            tags=self._tags,
        )


def _check_names(name: str) -> None:
    """Names AWS would refuse fail here, at preview, as one line."""
    try:
        names.check_autonamed("load-balancer", f"{name}-alb")
        names.check_autonamed("target-group", f"{name}-tg")
        names.derived("task-definition-family", name, pulumi.get_stack())
        names.derived("dashboard", name, pulumi.get_stack())
    except names.AwsNameError as err:
        raise pulumi.RunError(str(err)) from None
